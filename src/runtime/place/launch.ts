/**
 * The command line that puts a service in its place before its own command runs, while
 * keeping the recorded PID the server's own: every step `exec`s the next in the same
 * process, so no wrapper is left as the group leader.
 *
 *   [systemd-run --user --scope … --]  /bin/sh -c '<join> <ulimit> exec "$@"' uiprocs-place <cgroup.procs…> -- <command…>
 *
 * - `systemd-run --scope` registers the scope, waits until the process is in it, then
 *   executes the rest in place (systemd-run(1)).
 * - The shell writes its own PID into each cgroup's `cgroup.procs` (so the service is in
 *   its cgroup before it can fork anything), sets RLIMIT_NOFILE (soft and hard), and
 *   `exec`s the service's command. A step that fails exits 125 with the reason in the
 *   service's log, and the start fails with those lines.
 */

export interface LaunchPlan {
  /** `cgroup.procs` files to join, in order. */
  join: string[];
  openFiles?: number;
  systemd?: { systemdRun: string; unit: string; properties: string[] };
}

const SCRIPT_JOIN =
  'while [ "$1" != -- ]; do echo $$ > "$1" || { echo "uiprocs: cannot join the cgroup of $1" >&2; exit 125; }; shift; done; shift; ';

export function launchCommand(
  plan: LaunchPlan,
  file: string,
  args: readonly string[],
): { file: string; args: string[] } {
  const ulimit =
    plan.openFiles === undefined
      ? ''
      : `ulimit -n ${Math.trunc(plan.openFiles)} || { echo "uiprocs: cannot set open_files to ${Math.trunc(plan.openFiles)}" >&2; exit 125; }; `;
  const script = `${SCRIPT_JOIN}${ulimit}exec "$@"`;
  const shell = ['/bin/sh', '-c', script, 'uiprocs-place', ...plan.join, '--', file, ...args];
  if (plan.systemd === undefined) return { file: shell[0]!, args: shell.slice(1) };
  const { systemdRun, unit, properties } = plan.systemd;
  return {
    file: systemdRun,
    args: [
      '--user',
      '--scope',
      '--quiet',
      '--collect',
      `--unit=${unit}`,
      ...properties.flatMap((p) => ['-p', p]),
      '--',
      ...shell,
    ],
  };
}
