"""Serves the test's JupyterLab front end with Debian's jupyterlab_server (LabServerApp on jupyter_server).

Run by test/lab/lab.browser.ts with Debian's /usr/bin/python3:

    server.py --build DIR --state DIR [jupyter_server options such as --ServerApp.port=8888]

--build is the webpack output (bundle.js, schemas/, themes/); --state a scratch directory for settings and
workspaces, whose page_config.json (written by the test) lists the disabled plugins. MathJax comes from Debian's
libjs-mathjax, served by this server: Lab's default is a CDN, and the test runs offline.
"""
import os
import sys

from jupyter_server.utils import url_path_join
from jupyterlab_server import LabServerApp
from tornado.web import StaticFileHandler

HERE = os.path.dirname(os.path.abspath(__file__))
MATHJAX_DIR = "/usr/share/javascript/mathjax"

# Configuration files of the machine or the user must not change what the test sees.
os.environ["JUPYTER_NO_CONFIG"] = "1"


def take_option(argv, name):
    """Removes `name VALUE` from argv and returns VALUE."""
    if name not in argv:
        sys.exit(f"server.py: missing {name} DIR")
    i = argv.index(name)
    value = argv[i + 1]
    del argv[i : i + 2]
    return os.path.abspath(value)


BUILD = take_option(sys.argv, "--build")
STATE = take_option(sys.argv, "--state")


def _jupyter_server_extension_points():
    # jupyter_server finds the app through its module (here the script itself, `__main__`)
    return [{"module": __name__, "app": D2lTestLab}]


class D2lTestLab(LabServerApp):
    name = __name__
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab (d2l test)"
    app_version = "3.6.8"
    app_settings_dir = STATE
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "app", "templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.path.join(STATE, "user_settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_handlers(self):
        super().initialize_handlers()
        if os.path.isdir(MATHJAX_DIR):
            self.handlers.append((r"/d2l-mathjax/(.*)", StaticFileHandler, {"path": MATHJAX_DIR}))

    def initialize_settings(self):
        super().initialize_settings()
        settings = self.serverapp.web_app.settings
        settings["terminals_available"] = False
        if os.path.isdir(MATHJAX_DIR):
            settings["mathjax_url"] = url_path_join(settings["base_url"], "d2l-mathjax/MathJax.js")


if __name__ == "__main__":
    D2lTestLab.launch_instance()
