"""The built-in agent's bash tool for the Inspect task: a shell whose state persists.

Inspect's ``bash()`` runs every call in a fresh shell, while the system prompt (the built-in
agent's) promises a persistent one. This tool keeps the promise on any sandbox provider, with
nothing but ``sandbox().exec``: each call is one ``bash -c`` that restores the shell's state
from a folder in the sandbox's ``/tmp`` (never inside the repository, so never in the scored
diff), sources the command with stdin from ``/dev/null``, and saves the state again:

- the working directory, the exported variables (``unset`` and ``export -n`` included), the
  other shell variables and the shell functions carry over; shell options, aliases and traps
  do not;
- the command's stdout and stderr go to files; the first and last
  :data:`~harness.agents.shell.KEEP_BYTES` of each come back, so no output limit is hit;
- ``timeout`` stops a command (and its process group) after the command timeout; that, a
  command that ends the shell (``exit``, ``exec``, ``set -e``), or one that kills the wrapper
  itself (``kill -9 -1``), resets the state, as the built-in session restarts, and the model
  reads the built-in tool's reply for it, never a tool error that would end the sample;
- the reply is :func:`harness.agents.tools.bash_reply`'s, and the tool's name, description and
  parameters are the built-in tool's, so the model reads the same thing either way.

Calls run one at a time (``parallel=False``): two at once would race on the state.
"""

from __future__ import annotations

import posixpath
import uuid

from inspect_ai.tool import Tool, ToolDef, ToolError
from inspect_ai.util import sandbox, store

from harness.agents.anthropic_agent import BASH_TOOL
from harness.agents.shell import KEEP_BYTES, ShellOutput
from harness.agents.tools import (
    BASH_DESCRIPTION,
    BASH_NEEDS_COMMAND,
    BASH_PARAMETERS,
    BASH_RESTARTED,
    bash_reply,
)

STATE_PARENT = "/tmp"
STORE_STATE = "skill_eval:bash_state"  # the sample's state folder, in the sample's store
BACKSTOP_S = 60  # beyond the command timeout, for the sandbox's own exec timeout

# $1 state folder, $2 timeout (s), $3 bytes kept from each end of a stream, $4 marker, $5 the
# inner script; stdin: the command. Runs with the sandbox's own environment, in its working
# directory (the repository), which is where the first call's shell starts. Prints the
# command's bounded stderr and stdout, then "\n<marker> done <status>" (or "ended -", or
# "timeout -") on stdout.
_OUTER = r"""
s=$1 limit=$2 keep=$3 marker=$4 inner=$5
if [ ! -f "$s/init.env" ]; then
  mkdir -p -m 700 "$s" || exit 91
  case "$(cd "$s" && pwd -P)/" in "$(pwd -P)/"*)
    rm -rf "$s"; echo "the bash state folder $s is inside the repository $PWD" >&2; exit 90;;
  esac
  pwd > "$s/cwd" && export -p > "$s/env" \
    && cp "$s/cwd" "$s/init.cwd" && cp "$s/env" "$s/init.env" || exit 91
fi
cat > "$s/command" && rm -f "$s/rc" "$s/out" "$s/err" || exit 91
start=$SECONDS
{ timeout -s KILL "$limit" bash --noprofile --norc -c "$inner" bash "$s"; } \
  < /dev/null > /dev/null 2>&1
status=$?
if [ -f "$s/rc" ]; then
  how=done rc=$(cat "$s/rc")
else
  how=ended rc=-
  if [ "$status" -eq 137 ] && [ $((SECONDS - start)) -ge $((limit - 1)) ]; then how=timeout; fi
  cp "$s/init.cwd" "$s/cwd" && cp "$s/init.env" "$s/env"
fi
show() {
  [ -f "$1" ] || return 0
  size=$(wc -c < "$1")
  if [ "$size" -le $((2 * keep)) ]; then cat "$1"; else
    head -c "$keep" "$1"
    printf '\n... [%d bytes dropped] ...\n' $((size - 2 * keep))
    tail -c "$keep" "$1"
  fi
}
show "$s/err" >&2
show "$s/out"
printf '\n%s %s %s\n' "$marker" "$how" "$rc"
rm -f "$s/out" "$s/err" "$s/rc" "$s/command"
"""

# $1 state folder. Builtins only once the state is back: the command may have broken PATH.
_INNER = r"""
__se_state=$1
set --
__se_own=$'\n'"$(compgen -v)"$'\n'
while read -r __se_name; do unset "$__se_name"; done < <(compgen -e)
. "$__se_state/env"
cd -- "$(< "$__se_state/cwd")"
. "$__se_state/command" < /dev/null > "$__se_state/out" 2> "$__se_state/err"
__se_rc=$?
__se_exported=$'\n'"$(compgen -e)"$'\n'
{
  export -p
  for __se_name in $(compgen -v); do
    case "$__se_own$__se_exported" in *$'\n'"$__se_name"$'\n'*) continue;; esac
    case "$__se_name" in __se_*|BASH_*) continue;; esac
    declare -p "$__se_name"
  done
  declare -f
} > "$__se_state/env"
pwd > "$__se_state/cwd"
echo "$__se_rc" > "$__se_state/rc"
"""


def _state_folder() -> str:
    """This sample's state folder (the tool object is shared by every sample of a task)."""
    folder = store().get(STORE_STATE)
    if not isinstance(folder, str):
        folder = posixpath.join(STATE_PARENT, f"skill-eval-bash-{uuid.uuid4().hex}")
        store().set(STORE_STATE, folder)
    return folder


async def _reset(folder: str) -> None:
    """Forget the shell's state: the next call starts afresh in the repository."""
    await sandbox().exec(["rm", "-rf", "--", folder], timeout=BACKSTOP_S)


def _parse(stdout: str, stderr: str, marker: str) -> ShellOutput | None:
    """The command's outcome from the wrapper's output, or None if the wrapper did not finish."""
    output, found, trailer = stdout.rpartition(f"\n{marker} ")
    how, _, status = trailer.strip().partition(" ")
    if not found:
        return None
    if how == "done" and status.lstrip("-").isdigit():
        return ShellOutput(output, stderr, int(status), timed_out=False, shell_ended=False)
    if how in ("ended", "timeout") and status == "-":
        return ShellOutput(output, stderr, None, timed_out=how == "timeout", shell_ended=True)
    return None


def persistent_bash(timeout: int) -> Tool:
    """The bash tool the built-in agent has (see the module docstring)."""

    async def execute(command: str = "", restart: bool = False) -> str:
        folder = _state_folder()
        if restart:
            await _reset(folder)
            return BASH_RESTARTED
        if not command.strip():
            raise ToolError(BASH_NEEDS_COMMAND)
        marker = f"__skill_eval_{uuid.uuid4().hex}__"
        argv = ["bash", "--noprofile", "--norc", "-c", _OUTER, "bash", folder, str(timeout)]
        try:
            done = await sandbox().exec(
                [*argv, str(KEEP_BYTES), marker, _INNER],
                input=command,
                timeout=timeout + BACKSTOP_S,
            )
        except TimeoutError:  # the sandbox stopped the whole call: no output, no state
            await _reset(folder)
            return bash_reply(ShellOutput("", "", None, True, True), timeout)
        result = _parse(done.stdout, done.stderr, marker)
        if result is None:  # the wrapper itself died (``kill -9 -1``): the shell is gone
            await _reset(folder)
            result = ShellOutput("", "", None, timed_out=False, shell_ended=True)
        return bash_reply(result, timeout)

    return ToolDef(
        execute,
        name=BASH_TOOL["name"],
        description=BASH_DESCRIPTION,
        parameters=BASH_PARAMETERS,
        parallel=False,
        max_output=0,  # bash_reply truncates as the built-in tool does; nothing more
    ).as_tool()
