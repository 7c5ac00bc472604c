/**
 * Apps recognised by their files when nothing describes them: a `*.py` that imports
 * streamlit, notebooks (`*.ipynb`: Jupyter Lab), a Vite or Next config. Only the folder's
 * own files are read (never run), and only their first 64 KB.
 */
import { type Draft, type Found, PORT_REF, serviceName } from './draft.js';

export interface FolderFile {
  name: string;
  /** The first 64 KB. */
  head: () => string;
}

export function detectApps(files: readonly FolderFile[], covered: { vite: boolean; next: boolean }): Found {
  const drafts: Draft[] = [];
  for (const f of files) {
    if (f.name.endsWith('.py') && /^\s*(import streamlit|from streamlit\b)/m.test(f.head()))
      drafts.push({
        name: serviceName(f.name.replace(/\.py$/, '')),
        command: `streamlit run ${f.name} --server.port ${PORT_REF} --server.headless true`,
        port: 'auto',
        ready: { http: '/_stcore/health', timeout: '60s' },
        from: `${f.name} (imports streamlit)`,
      });
  }
  const notebooks = files.filter((f) => f.name.endsWith('.ipynb'));
  if (notebooks.length > 0)
    drafts.push({
      name: 'jupyter',
      command: `jupyter lab --no-browser --ip 127.0.0.1 --port ${PORT_REF}`,
      port: 'auto',
      ready: { http: '/api', timeout: '60s' },
      from: `${notebooks.map((f) => f.name).join(', ')} (notebooks)`,
      notes: ['its login token is in its log: uiprocs logs jupyter'],
    });
  const has = (re: RegExp) => files.find((f) => re.test(f.name));
  const vite = has(/^vite\.config\.[cm]?[jt]s$/);
  if (vite && !covered.vite)
    drafts.push({
      name: 'vite',
      command: `npx vite --port ${PORT_REF} --strictPort`,
      port: 'auto',
      from: vite.name,
    });
  const next = has(/^next\.config\.[cm]?[jt]s$/);
  if (next && !covered.next)
    drafts.push({ name: 'next', command: `npx next dev -p ${PORT_REF}`, port: 'auto', from: next.name });
  return { drafts, problems: [] };
}
