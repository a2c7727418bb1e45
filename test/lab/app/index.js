// The JupyterLab 3.6.8 front end of d2l's Lab browser test, modelled on JupyterLab's examples/app: the stock
// plugins of a Lab install, plus plotly's mime renderer (jupyterlab-plotly). Plugins listed in the page config's
// `disabledExtensions` are left out, as JupyterLab's own build does: the test server disables the announcements
// plugin (its /lab/api/news handler exists only in the `jupyterlab` Python package) and, in the run without
// plotly, the plotly renderer.
import { JupyterLab } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';

// webpack loads chunks and CSS assets relative to the server's static URL
// eslint-disable-next-line no-undef
__webpack_public_path__ = PageConfig.getOption('fullStaticUrl') + '/';

const styles = import('./build/style.js');

// Keep in step with "jupyterlab.extensions" in package.json (Build.ensureAssets copies their schemas and themes).
const extensions = [
  import('@jupyterlab/application-extension'),
  import('@jupyterlab/apputils-extension'),
  import('@jupyterlab/celltags-extension'),
  import('@jupyterlab/codemirror-extension'),
  import('@jupyterlab/completer-extension'),
  import('@jupyterlab/console-extension'),
  import('@jupyterlab/docmanager-extension'),
  import('@jupyterlab/filebrowser-extension'),
  import('@jupyterlab/fileeditor-extension'),
  import('@jupyterlab/help-extension'),
  import('@jupyterlab/imageviewer-extension'),
  import('@jupyterlab/inspector-extension'),
  import('@jupyterlab/launcher-extension'),
  import('@jupyterlab/mainmenu-extension'),
  import('@jupyterlab/markdownviewer-extension'),
  import('@jupyterlab/mathjax2-extension'),
  import('@jupyterlab/notebook-extension'),
  import('@jupyterlab/rendermime-extension'),
  import('@jupyterlab/running-extension'),
  import('@jupyterlab/settingeditor-extension'),
  import('@jupyterlab/shortcuts-extension'),
  import('@jupyterlab/statusbar-extension'),
  import('@jupyterlab/theme-light-extension'),
  import('@jupyterlab/toc-extension'),
  import('@jupyterlab/tooltip-extension'),
  import('@jupyterlab/translation-extension'),
  import('@jupyterlab/ui-components-extension'),
];

const mimeExtensions = [
  ['@jupyterlab/json-extension', import('@jupyterlab/json-extension')],
  ['jupyterlab-plotly', import('jupyterlab-plotly/lib/plotly-renderer')],
];

/** A module's plugins (its default export: one plugin or a list), without the disabled ones. */
function enabledPlugins(module) {
  const exported = module.default ?? module;
  const plugins = Array.isArray(exported) ? exported : [exported];
  return plugins.filter((plugin) => !PageConfig.Extension.isDisabled(plugin.id));
}

window.addEventListener('load', async () => {
  await styles;
  const mime = [];
  for (const [name, pending] of mimeExtensions) {
    if (PageConfig.Extension.isDisabled(name)) continue;
    const plugins = enabledPlugins(await pending);
    if (plugins.length > 0) mime.push(plugins);
  }
  const lab = new JupyterLab({ mimeExtensions: mime });
  lab.registerPlugins((await Promise.all(extensions)).flatMap(enabledPlugins));
  await lab.start();
  await lab.restored;
  // The test reads these to know what it is driving.
  window.d2lLab = { app: lab, version: lab.version, mimeExtensions: mime.flat().map((p) => p.id) };
  document.body.dataset.d2lLabReady = 'true';
});
