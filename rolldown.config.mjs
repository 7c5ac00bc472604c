/**
 * The build: src/ (TypeScript) bundled into dist/ by rolldown, so a CLI run loads a few
 * chunks instead of ~25 modules and the CommonJS loader. On this 2-core machine that is
 * 15–20 ms of every `ps`. Dynamic imports stay separate chunks: `ps` still never loads
 * what `watch` or `up` need. tsc only type-checks (`tsc --noEmit` in `npm run build`).
 *
 * Every output file is two folders deep (dist/cli, dist/manifest), because core/version.ts
 * finds package.json at `../../package.json` from wherever its code ends up.
 *
 * The bundle is all the package ships: every library it uses is inside it (they are
 * devDependencies), so installing uiprocs installs one package. `npm run build` runs this
 * config through scripts/bundle.mjs, which prints nothing unless something is wrong.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: {
    'cli/main': 'src/cli/main.ts',
    // For bench/validate.mjs, which times the loader in-process.
    'manifest/load': 'src/manifest/load.ts',
  },
  platform: 'node',
  resolve: {
    // One js-yaml, not two: cosmiconfig's require() would resolve to its CommonJS build and
    // our import to its ES module build, and both landed in the bundle (+90 kB).
    alias: { 'js-yaml': fileURLToPath(import.meta.resolve('js-yaml')) },
  },
  plugins: [
    {
      // The MCP SDK's Server loads Ajv only to check elicitation answers, which uiprocs mcp
      // never asks for: src/mcp/no-ajv.ts stands in, ~25 ms off every `uiprocs mcp` start.
      name: 'mcp-sdk-without-ajv',
      resolveId(source, importer) {
        if (source === '../validation/ajv-provider.js' && importer?.includes('@modelcontextprotocol/sdk'))
          return fileURLToPath(new URL('./src/mcp/no-ajv.ts', import.meta.url));
        return null;
      },
    },
  ],
  // cosmiconfig asks for typescript only to read a uiprocs.config.ts, and it is not ours to ship.
  external: ['typescript', /^node:/],
  output: {
    dir: 'dist',
    // CommonJS output from ES module sources: Node 20's ES module loader (resolve, link,
    // translate per chunk) cost 10–18 ms of every CLI run, and it has no compile cache for
    // them. With Node 22 as the floor, module.enableCompileCache() would make ESM output
    // worth measuring again.
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: 'cli/[name]-[hash].cjs',
    // For `node --enable-source-maps bin/uiprocs.js` in a checkout, not for the package
    // (package.json `files` leaves them out): Node reads them only with that flag, the
    // bundle is not minified, so a stack trace from it reads well without them, and they
    // were 2.2 MB of the package's 3.3 MB.
    sourcemap: true,
    // Licences stay; JSDoc goes: the sources keep it, and a bundled library's examples
    // (`const pm = require('picomatch')`) would read as requires of a package we do not ship.
    comments: { legal: true, annotation: false, jsdoc: false },
    cleanDir: true,
  },
});
