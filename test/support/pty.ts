/**
 * Drives the built CLI through a real pseudo-terminal, as a person at a keyboard: stdin, stdout and stderr are the
 * terminal, so `rt.interactive` is true and the prompts draw. A small python3 relay (its standard `pty` module; no
 * native npm module) owns the terminal: it forwards what the test writes as keystrokes and copies the screen output
 * back, then exits with the CLI's exit code (128 + n when a signal ended it).
 *
 *   const t = ptyUrdb(['regions', 'add'], { url: db.url });
 *   await t.expect('Region name');
 *   t.type('Казань');
 *   t.press('enter');
 *   expect(await t.exit()).toBe(0);
 *   expect(t.output()).toContain('added region');
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, cleanEnv, ROOT } from './cli';

const RELAY = String.raw`
import os, sys, pty, select, signal, struct, fcntl, termios, errno, time
cols, rows = int(sys.argv[1]), int(sys.argv[2])
argv = sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
# SIGTERM sent to the relay (the test's signal()) is passed on to the CLI.
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
inputs = [fd, 0]
# The test closes our stdin only once the CLI has ended; an early EOF means the test went away: give the CLI a
# moment, then end it rather than leave it waiting at a prompt.
deadline = None
while True:
    if deadline is not None and time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        deadline = None
    try:
        ready, _, _ = select.select(inputs, [], [], 1.0)
    except InterruptedError:
        continue
    if 0 in ready:
        data = os.read(0, 4096)
        if data:
            os.write(fd, data)
        else:
            inputs.remove(0)
            deadline = time.time() + 5
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            data = b''
        if not data:
            break
        os.write(1, data)
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

export const KEYS = {
  enter: '\r',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  space: ' ',
  tab: '\t',
  backspace: '\x7f',
  escape: '\x1b',
  'ctrl-c': '\x03',
  'ctrl-d': '\x04',
} as const;
export type Key = keyof typeof KEYS;

/** Terminal output as text: escape sequences (colour, cursor moves, erasing) and carriage returns removed. */
export function stripAnsi(text: string): string {
  return text
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/\x1b[=>78NOPM]/g, '')
    .replace(/\r/g, '');
}

/**
 * What a terminal of `cols` × `rows` shows after `raw` was written to it: enough of a VT100 for what prompts send
 * (cursor moves, erasing lines and the screen, carriage return, wrapping, scrolling). Colours are dropped.
 * Lines are right-trimmed; trailing empty lines removed.
 */
export function renderScreen(raw: string, cols: number, rows: number): string {
  const grid: string[][] = Array.from({ length: rows }, () => []);
  let r = 0;
  let c = 0;
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, v));
  const lineFeed = () => {
    if (r === rows - 1) {
      grid.shift();
      grid.push([]);
    } else r++;
  };
  const erase = (row: number, from: number, to: number) => {
    const line = grid[row]!;
    for (let x = from; x < Math.min(to, line.length); x++) line[x] = ' ';
  };
  const chars = Array.from(raw);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\x1b') {
      const rest = chars.slice(i, i + 64).join('');
      const csi = /^\x1b\[([0-?]*)[ -/]*([@-~])/.exec(rest);
      const osc = /^\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/.exec(rest);
      if (csi) {
        const private_ = csi[1]!.startsWith('?');
        const params = csi[1]!.replace(/^[?>=]/, '').split(';').map((p) => (p === '' ? NaN : Number(p)));
        const n = Number.isNaN(params[0]!) ? 1 : params[0]!;
        const col = Math.min(c, cols - 1);
        if (!private_) {
          switch (csi[2]) {
            case 'A': r = clamp(r - n, rows - 1); c = col; break;
            case 'B': r = clamp(r + n, rows - 1); c = col; break;
            case 'C': c = clamp(col + n, cols - 1); break;
            case 'D': c = clamp(col - n, cols - 1); break;
            case 'E': r = clamp(r + n, rows - 1); c = 0; break;
            case 'F': r = clamp(r - n, rows - 1); c = 0; break;
            case 'G': c = clamp(n - 1, cols - 1); break;
            case 'H':
            case 'f': r = clamp((Number.isNaN(params[0]!) ? 1 : params[0]!) - 1, rows - 1); c = clamp((Number.isNaN(params[1] ?? NaN) ? 1 : params[1]!) - 1, cols - 1); break;
            case 'J': {
              const mode = Number.isNaN(params[0]!) ? 0 : params[0]!;
              if (mode === 0) { erase(r, col, cols); for (let y = r + 1; y < rows; y++) grid[y] = []; }
              else if (mode === 1) { erase(r, 0, col + 1); for (let y = 0; y < r; y++) grid[y] = []; }
              else for (let y = 0; y < rows; y++) grid[y] = [];
              break;
            }
            case 'K': {
              const mode = Number.isNaN(params[0]!) ? 0 : params[0]!;
              if (mode === 0) erase(r, col, cols);
              else if (mode === 1) erase(r, 0, col + 1);
              else grid[r] = [];
              break;
            }
          }
        }
        i += Array.from(csi[0]).length - 1;
      } else if (osc) {
        i += Array.from(osc[0]).length - 1;
      } else {
        i += 1;
      }
      continue;
    }
    if (ch === '\r') c = 0;
    else if (ch === '\n') lineFeed();
    else if (ch === '\b') c = Math.max(0, Math.min(c, cols - 1) - 1);
    else if (ch === '\t') c = Math.min(cols - 1, (Math.floor(c / 8) + 1) * 8);
    else if (ch >= ' ' && ch !== '\x7f') {
      if (c >= cols) {
        c = 0;
        lineFeed();
      }
      const line = grid[r]!;
      while (line.length < c) line.push(' ');
      line[c] = ch;
      c++;
    }
  }
  const lines = grid.map((l) => l.join('').replace(/\s+$/, ''));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

export interface PtyOptions {
  /** DATABASE_URL for the process. */
  url?: string;
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  /** Ceiling for the whole session (default 30 s): the process is killed after it. */
  timeoutMs?: number;
}

export interface PtySession {
  /** Raw bytes to the terminal. */
  write(data: string): void;
  /** Text typed at the keyboard. */
  type(text: string): void;
  /** Keys pressed in order: `press('down', 'space', 'enter')`. */
  press(...keys: Key[]): void;
  /**
   * Waits until the output after the previous match contains `pattern`; returns the text up to and including it and
   * moves past it (pexpect's discipline: wait for the question, then answer it).
   */
  expect(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Waits until the screen as it is now (see `screen`) matches `pattern`; returns that screen. */
  expectScreen(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** What the terminal shows now: the last drawing of a prompt, not every redraw. */
  screen(): string;
  /** Everything shown so far, escape sequences removed (every redraw, in order). */
  output(): string;
  /** Everything shown so far, as written. */
  raw(): string;
  /** Sends SIGTERM to the CLI (through the relay), as `kill <pid>` would. */
  signal(name: 'SIGTERM'): void;
  /** Waits for the CLI to end; its exit code. */
  exit(timeoutMs?: number): Promise<number>;
}

/** Starts `urdb args…` (the built CLI) on a fresh pseudo-terminal, with the clean test environment of `urdb()`. */
export function ptyUrdb(args: string[], opts: PtyOptions = {}): PtySession {
  const cols = opts.cols ?? 100;
  const rows = opts.rows ?? 30;
  const env = cleanEnv({
    TERM: 'xterm-256color',
    ...(opts.url ? { DATABASE_URL: opts.url } : {}),
    ...opts.env,
  });
  const child: ChildProcessWithoutNullStreams = spawn(
    'python3',
    ['-c', RELAY, String(cols), String(rows), process.execPath, BIN, ...args],
    { env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let raw = '';
  let consumed = 0;
  let relayErrors = '';
  let exitCode: number | null = null;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    raw += d;
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (relayErrors += d));
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      resolve(exitCode);
      wake();
    });
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  void exited.then(() => clearTimeout(killer));
  child.stdin.on('error', () => undefined);

  const text = () => stripAnsi(raw);
  const screen = () => renderScreen(raw, cols, rows);
  const describe = () => {
    const shown = text();
    return `\n--- terminal so far (${shown.length} chars, exit ${exitCode ?? 'pending'}) ---\n${shown.slice(-2000)}${relayErrors ? `\n--- relay stderr ---\n${relayErrors}` : ''}`;
  };

  return {
    write(data) {
      child.stdin.write(data);
    },
    type(s) {
      child.stdin.write(s);
    },
    press(...keys) {
      child.stdin.write(keys.map((k) => KEYS[k]).join(''));
    },
    expect(pattern, timeoutMs = 10_000) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const shown = text();
          const rest = shown.slice(consumed);
          let end = -1;
          if (typeof pattern === 'string') {
            const i = rest.indexOf(pattern);
            if (i >= 0) end = i + pattern.length;
          } else {
            const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(rest);
            if (m) end = m.index + m[0].length;
          }
          if (end >= 0) {
            done();
            consumed += end;
            resolve(rest.slice(0, end));
          } else if (exitCode !== null) {
            done();
            reject(new Error(`the CLI ended before showing ${String(pattern)}${describe()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}${describe()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    expectScreen(pattern, timeoutMs = 10_000) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const now = screen();
          if (typeof pattern === 'string' ? now.includes(pattern) : pattern.test(now)) {
            done();
            resolve(now);
          } else if (exitCode !== null) {
            done();
            reject(new Error(`the CLI ended before the screen showed ${String(pattern)}\n--- screen ---\n${now}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for the screen to show ${String(pattern)}\n--- screen ---\n${screen()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    signal(name) {
      child.kill(name);
    },
    screen,
    output: text,
    raw: () => raw,
    async exit(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the CLI did not end within ${timeoutMs} ms${describe()}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
        child.stdin.end();
      }
    },
  };
}
