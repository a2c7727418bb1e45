/**
 * `d2l kernel install [--user | --prefix P | --sys-prefix]`, `d2l kernel list`, `d2l kernel uninstall [...]`:
 * manages the "TypeScript (d2l)" Jupyter kernelspec without Python.
 */
import { installKernelspec, listKernelSpecs, uninstallKernelspec, KERNEL_NAME, type InstallLocation } from '../jupyter/kernelspec';

const USAGE = `usage: d2l kernel install [--user | --prefix <dir> | --sys-prefix]
       d2l kernel uninstall [--user | --prefix <dir> | --sys-prefix]
       d2l kernel list

install    writes the '${KERNEL_NAME}' kernelspec ("TypeScript (d2l)") into Jupyter's data directory
           (default --user: $JUPYTER_DATA_DIR or ~/.local/share/jupyter; --prefix P: P/share/jupyter)
uninstall  removes it from the same place
list       shows the kernelspecs Jupyter finds`;

function parseLocation(args: string[]): InstallLocation {
  let loc: InstallLocation = { kind: 'user' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--user') loc = { kind: 'user' };
    else if (a === '--sys-prefix') loc = { kind: 'sys-prefix' };
    else if (a === '--prefix' || a.startsWith('--prefix=')) {
      const value = a === '--prefix' ? args[++i] : a.slice('--prefix='.length);
      if (!value) throw new Error('--prefix needs a directory, e.g. --prefix /opt/conda');
      loc = { kind: 'prefix', prefix: value };
    } else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  return loc;
}

/** Entry point of `d2l kernel`. Returns the process exit code. */
export async function kernelCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'install': {
        const dir = installKernelspec(parseLocation(rest));
        console.log(`Installed kernelspec ${KERNEL_NAME} in ${dir}`);
        return 0;
      }
      case 'uninstall': {
        const dir = uninstallKernelspec(parseLocation(rest));
        if (!dir) {
          console.error(`d2l kernel: no '${KERNEL_NAME}' kernelspec at that location (see 'd2l kernel list')`);
          return 1;
        }
        console.log(`Removed ${dir}`);
        return 0;
      }
      case 'list': {
        if (rest.length) throw new Error(`'list' takes no options\n${USAGE}`);
        console.log('Available kernels:');
        for (const k of listKernelSpecs()) console.log(`  ${k.name.padEnd(16)} ${k.dir}   (${k.displayName})`);
        return 0;
      }
      case undefined:
      case '--help':
      case '-h':
        console.log(USAGE);
        return sub ? 0 : 2;
      default:
        console.error(`d2l kernel: unknown subcommand '${sub}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    console.error(`d2l kernel: ${(e as Error).message}`);
    return 1;
  }
}
