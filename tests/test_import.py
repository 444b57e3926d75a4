"""``import latentmix`` is quick: the public names load on first use, scikit-learn and scipy only
when something needs them (importing scikit-learn took 2.2 s of a 2.7 s ``import latentmix``).

Each check runs in a fresh interpreter, since this one has imported everything already."""

import ast
import subprocess
import sys

import pytest


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_import_latentmix_loads_neither_torch_nor_sklearn():
    out = run("import sys, latentmix; print(sorted(m for m in ('torch', 'sklearn', 'scipy') if m in sys.modules))")
    assert out.strip() == "[]"


def test_datasets_and_the_error_hierarchy_do_not_need_sklearn():
    out = run("import sys, latentmix as lm\n"
              "lm.datasets.load_path\n"
              "from latentmix.exceptions import DataError, InvalidParameterError, LatentmixError\n"
              "print('sklearn' in sys.modules, 'scipy' in sys.modules)")
    assert out.split() == ["False", "False"]


def test_the_lazy_names_are_the_real_ones():
    run("import pickle, warnings\n"
        "import sklearn.exceptions as sk\n"
        "import latentmix as lm\n"
        "from latentmix import GaussianMixture\n"
        "from latentmix.exceptions import ConvergenceWarning, LatentmixError, NotFittedError\n"
        "assert GaussianMixture is lm.GaussianMixture is lm.mixture.GaussianMixture\n"
        "assert issubclass(NotFittedError, sk.NotFittedError) and issubclass(NotFittedError, LatentmixError)\n"
        "assert issubclass(ConvergenceWarning, sk.ConvergenceWarning)\n"
        "assert NotFittedError is lm.exceptions.NotFittedError  # made once\n"
        "assert type(pickle.loads(pickle.dumps(NotFittedError('x')))) is NotFittedError\n"
        "try:\n"
        "    GaussianMixture().predict([[0.0]])\n"
        "except sk.NotFittedError as e:\n"
        "    assert type(e) is NotFittedError\n"
        "else:\n"
        "    raise AssertionError('no NotFittedError')\n"
        "assert lm.models.GenerativeMixin and lm.train.fit_phases  # subpackages too, as before\n"
        "assert not hasattr(lm, 'no_such_name')\n"
        "assert set(lm.__all__) <= set(dir(lm))\n"
        "for name in lm.__all__:\n"
        "    getattr(lm, name)\n")


def test_the_registry_finds_classes_whose_module_was_not_imported_yet():
    # lm.load of a saved detector must work in a process that never touched latentmix.tasks
    out = run("import sys\n"
              "from latentmix.core.registry import class_by_name, get_model_class\n"
              "assert 'latentmix.tasks' not in sys.modules\n"
              "print(class_by_name('AnomalyDetector').__module__, get_model_class('gan').__name__)")
    assert out.split() == ["latentmix.tasks.anomaly", "GAN"]


def cli_imports(*argv: str, before: str = "") -> list[str]:
    """Which of torch and numpy ``python -m latentmix ARGV`` imported, run as ``-m`` runs it after
    the code ``before``; the command must exit with 0 and print its usage."""
    out = run(f"import sys, runpy\n{before}\n"
              f"sys.argv = ['latentmix', *{list(argv)!r}]\n"
              "try:\n"
              "    runpy.run_module('latentmix', run_name='__main__', alter_sys=True)\n"
              "except SystemExit as exc:\n"
              "    assert exc.code in (0, None), exc.code\n"
              "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    assert "Usage: latentmix" in out
    return ast.literal_eval(out.splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]], ids=" ".join)
def test_cli_help_imports_neither_torch_nor_numpy(argv):
    # importing torch took 1.7 s of a 2.3 s 'latentmix --help': the commands import it when they run
    assert cli_imports(*argv) == []


def test_no_command_help_imports_torch_or_numpy():
    # every command and subcommand, found by walking the click group: a callback or a choice list
    # computed for the help text must not import them either
    out = run("import sys, click\n"
              "from latentmix.cli import cli, main\n"
              "def paths(group, prefix=()):\n"
              "    for name, command in group.commands.items():\n"
              "        yield (*prefix, name)\n"
              "        if isinstance(command, click.Group):\n"
              "            yield from paths(command, (*prefix, name))\n"
              "found = list(paths(cli))\n"
              "for path in found:\n"
              "    assert main([*path, '--help']) == 0, path\n"
              "print(len(found), sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    count, imported = out.splitlines()[-1].split(" ", 1)
    assert int(count) >= 12 and imported == "[]"


def test_the_cli_check_sees_torch_when_it_is_imported():
    assert cli_imports("--help", before="import latentmix.core") == ["numpy", "torch"]
