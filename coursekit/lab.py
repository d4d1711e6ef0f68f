"""A learner's JupyterLab: the course, without instructor tools or news pop-ups.

    python -m coursekit.lab [JUPYTER LAB OPTIONS]   # what `make lab` runs
    python -m coursekit.lab --settings-only         # only make this environment a learner's

The course's environment may hold nbgrader (the test extra installs it, to
compare the exercises with nbgrader's own release), and nbgrader's JupyterLab
extension gives every user an "Nbgrader" menu and a "Create Assignment" panel.
JupyterLab also asks, in a pop-up over the first notebook, whether to fetch
Jupyter news. A learner needs neither, so before JupyterLab starts:

- nbgrader's lab extension and JupyterLab's news plugin are disabled and
  locked (the extension manager cannot turn a locked extension back on);
- nbgrader's server extensions (formgrader and the rest) are disabled.

Both are written at the environment's level (``<sys.prefix>/etc/jupyter``),
with Jupyter's own commands. In a virtual or conda environment Jupyter reads
that level before the user's (``~/.jupyter``), so a user's setting does not
override it, and a plain ``jupyter lab`` in this environment is a learner's too.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBGRADER_LAB_EXTENSION = "@jupyter/nbgrader"
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
HIDDEN_LAB_EXTENSIONS = [NBGRADER_LAB_EXTENSION, NEWS_PLUGIN]


def instructor_server_extensions():
    """nbgrader's server extensions as this environment's Jupyter sees them: {name: enabled}."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    found = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
    return {name: enabled for name, enabled in found.items() if name.startswith("nbgrader")}


def lab_page_config():
    """JupyterLab's page config as it will be served: all levels merged.

    What ``jupyterlab_server.config.get_static_page_config(level="all")`` reads
    (``labconfig/page_config.json`` on Jupyter's config path), without the
    seconds that importing jupyterlab_server costs.
    """
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.services.config.manager import ConfigManager

    folders = [os.path.join(folder, "labconfig") for folder in jupyter_config_path()]
    return ConfigManager(read_config_path=folders).get("page_config")


def what_a_learner_would_see():
    """Each instructor tool or pop-up still on in this environment, as a sentence."""
    page = lab_page_config()
    seen = []
    for name in HIDDEN_LAB_EXTENSIONS:
        if not page.get("disabledExtensions", {}).get(name):
            seen.append(f"lab extension {name} is enabled")
        elif not page.get("lockedExtensions", {}).get(name):
            seen.append(f"lab extension {name} is disabled but not locked")
    seen += [
        f"server extension {name} is enabled"
        for name, enabled in sorted(instructor_server_extensions().items())
        if enabled
    ]
    return seen


def _jupyter(*args):
    subprocess.run([sys.executable, "-m", "jupyter", *args], check=True, capture_output=True)


def make_learner_environment():
    """Turn the instructor tools and the news pop-up off for this environment."""
    if not what_a_learner_would_see():
        return
    level = "sys_prefix"
    if not os.access(sys.prefix, os.W_OK):
        # A system Python: the user's level is the one Jupyter reads first there.
        print(f"coursekit.lab: {sys.prefix} is read-only; changing your own Jupyter settings")
        level = "user"
    _jupyter("labextension", "disable", f"--level={level}", *HIDDEN_LAB_EXTENSIONS)
    _jupyter("labextension", "lock", f"--level={level}", *HIDDEN_LAB_EXTENSIONS)
    enabled = [name for name, on in instructor_server_extensions().items() if on]
    if enabled:
        flag = "--sys-prefix" if level == "sys_prefix" else "--user"
        _jupyter("server", "extension", "disable", flag, *enabled)
    still = what_a_learner_would_see()
    if still:
        raise SystemExit("coursekit.lab: could not turn off: " + "; ".join(still))


def lab_command(options=()):
    """The command that opens the course in JupyterLab, with extra ``options`` last.

    The server's root is the repository (``--ServerApp.root_dir=DIR`` among
    the options chooses another), and the file browser opens on course/, so
    exercises/ is one click away.
    """
    options = list(options)
    command = [sys.executable, "-m", "jupyter", "lab", "--LabApp.default_url=/lab/tree/course"]
    if not any(option.startswith("--ServerApp.root_dir") for option in options):
        root = ROOT if (ROOT / "course").is_dir() else Path.cwd()
        command.append(f"--ServerApp.root_dir={root}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root otherwise (CI, containers)
    return command + options


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    make_learner_environment()
    if argv == ["--settings-only"]:
        return 0
    command = lab_command(argv)
    if os.name == "posix":
        os.execv(command[0], command)  # JupyterLab takes this process over: Ctrl-C reaches it
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
