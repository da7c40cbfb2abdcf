#!/usr/bin/env node
/**
 * Builds what runs in production as plain JavaScript, so Node starts it without the tsx loader
 * (issue 15 item 5: the loader cost the agent 116 MB and most of its 10 s start):
 *
 *   node tools/build.mjs [agent|controller|demo]...   (none: all three)
 *
 *   agent       agent/src/cli.ts         -> agent/dist/cli.mjs       (deploy/agent/hashfleet-agent.service)
 *   controller  controller/src/core/cli  -> controller/dist/cli.mjs  (deploy/hashfleet-controller.service, deploy/Dockerfile)
 *   demo        demo/src/main.ts         -> demo/dist/main.mjs       (`npm start`)
 *
 * Each is one esbuild bundle of this repository's TypeScript (the @hashfleet/* workspaces included);
 * every other package stays an import that Node resolves from node_modules as before, so native
 * addons and the packages' own files load as they do under the loader. Not minified: stack traces
 * keep the function names and the bundle keeps each source file's path in a comment above its code.
 * A file is rewritten only when its bytes change (through a rename, so a running process never
 * reads half a file). Development and tests keep running the TypeScript through tsx.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');

/** Runs the controller CLI as controller/bin/hashfleet-controller.mjs does, without registering tsx. */
const controllerEntry = `import { main } from './src/core/cli/main.ts';
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
`;

const TARGETS = {
  agent: { entryPoints: ['agent/src/cli.ts'], out: 'agent/dist/cli.mjs' },
  controller: {
    stdin: {
      contents: controllerEntry,
      resolveDir: join(root, 'controller'),
      sourcefile: 'controller-cli.ts',
      loader: 'ts',
    },
    out: 'controller/dist/cli.mjs',
  },
  demo: { entryPoints: ['demo/src/main.ts'], out: 'demo/dist/main.mjs' },
};

/** Only this repository's workspaces go into a bundle; every other bare import stays external. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@hashfleet/') ? undefined : { external: true },
    );
  },
};

const posix = (p) => p.split(sep).join('/');

/**
 * A source file that finds files beside itself (controller/ui/build.ts reads controller/ui/app,
 * simulator/src/templates.ts reads simulator/recorded) keeps finding them from the bundle: its
 * import.meta.url, .dirname and .filename become its own location, relative to the bundle's.
 * A worker thread's file would have to be an entry of its own, so a source starting one stops the build.
 */
function sourceLocations(outFile) {
  const outDir = dirname(join(root, outFile));
  return {
    name: 'source-locations',
    setup(b) {
      b.onLoad({ filter: /\.tsx?$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const loader = args.path.endsWith('.tsx') ? 'tsx' : 'ts';
        // The entry's `#!/usr/bin/env -S node --import tsx` line would carry the loader into the bundle.
        let text = readFileSync(args.path, 'utf8').replace(/^#!.*\n/, '');
        if (/\bnew Worker\(/.test(text))
          return {
            errors: [
              {
                text: `${posix(relative(root, args.path))}: starts a worker thread; make its file an entry of tools/build.mjs`,
              },
            ],
          };
        if (!text.includes('import.meta')) return { contents: text, loader };
        const file = JSON.stringify(posix(relative(outDir, args.path)));
        const dir = JSON.stringify(`${posix(relative(outDir, dirname(args.path)))}/`);
        text = text
          .replaceAll('import.meta.url', `new URL(${file}, import.meta.url).href`)
          .replaceAll('import.meta.filename', `__sourcePath(new URL(${file}, import.meta.url))`)
          .replaceAll(
            'import.meta.dirname',
            `__sourcePath(new URL(${dir}, import.meta.url)).replace(/[\\\\/]$/, '')`,
          );
        return { contents: text, loader };
      });
    },
  };
}

/** Builds one target; returns what it did, for the log line. */
async function buildTarget(name) {
  const { out, ...input } = TARGETS[name];
  const started = performance.now();
  const result = await build({
    ...input,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    outfile: join(root, out),
    write: false,
    logLevel: 'silent',
    banner: { js: "import { fileURLToPath as __sourcePath } from 'node:url';" },
    plugins: [externalPackages, sourceLocations(out)],
  });
  const [file] = result.outputFiles;
  const path = join(root, out);
  const ms = Math.round(performance.now() - started);
  const kb = Math.round(file.contents.length / 1024);
  if (existsSync(path) && Buffer.compare(readFileSync(path), file.contents) === 0)
    return `unchanged: ${out} (${kb} KB, checked in ${ms} ms)`;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, path);
  return `built: ${out} (${kb} KB, ${ms} ms)`;
}

const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !(a in TARGETS));
if (unknown.length > 0) {
  console.error(
    `tools/build.mjs: unknown target(s) ${unknown.join(', ')}; choose from ${Object.keys(TARGETS).join(', ')}`,
  );
  process.exit(2);
}
let failed = false;
for (const name of asked.length > 0 ? asked : Object.keys(TARGETS)) {
  try {
    console.log(await buildTarget(name));
  } catch (err) {
    failed = true;
    const errors = err.errors?.map(
      (e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`,
    );
    console.error(`tools/build.mjs: ${name}: ${errors?.length ? `\n${errors.join('\n')}` : err.message}`);
  }
}
process.exit(failed ? 1 : 0);
