/**
 * The scripts `uiprocs completion bash|zsh|fish` prints: each asks `uiprocs __complete --
 * WORDS…` (completion.ts) for the candidates of the word under the cursor, so the scripts
 * stay three lines and every answer comes from the command table and the manifest. When it
 * prints nothing (after `-f`, `--since` …) bash and zsh complete file names.
 */
export type Shell = 'bash' | 'zsh' | 'fish';

const SCRIPTS: Record<Shell, string> = {
  bash: `# uiprocs completion for bash; in ~/.bashrc:  source <(uiprocs completion bash)
_uiprocs() {
  local IFS=$'\\n'
  COMPREPLY=($(uiprocs __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _uiprocs uiprocs
`,
  zsh: `#compdef uiprocs
# uiprocs completion for zsh; in ~/.zshrc, after compinit:  source <(uiprocs completion zsh)
_uiprocs() {
  local -a candidates
  candidates=("\${(@f)$(uiprocs __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "\${candidates[1]}" ]]; then compadd -- "\${candidates[@]}"; else _files; fi
}
compdef _uiprocs uiprocs
`,
  fish: `# uiprocs completion for fish; in ~/.config/fish/config.fish:  uiprocs completion fish | source
complete -c uiprocs -e
complete -c uiprocs -a '(uiprocs __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
};

export function completionScript(shell: Shell): string {
  return SCRIPTS[shell];
}
