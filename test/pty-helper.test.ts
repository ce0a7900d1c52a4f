import { describe, expect, it } from 'vitest';
import { renderScreen, stripAnsi } from './support/pty';

describe('the pseudo-terminal helper draws what a terminal would show', () => {
  // A pty turns "\n" into "\r\n" on output (ONLCR), so that is what the screen receives.
  it('carriage return, erase line, cursor up and column moves', () => {
    expect(renderScreen('abc\rX', 10, 3)).toBe('Xbc');
    expect(renderScreen('one\r\ntwo\x1b[1A\x1b[2K\rnew', 10, 3)).toBe('new\ntwo');
    expect(renderScreen('abcdef\x1b[3G\x1b[K!', 10, 3)).toBe('ab!');
    expect(renderScreen('a\r\nb\r\nc\x1b[2J\x1b[Hz', 10, 3)).toBe('z');
  });

  it('wraps at the right edge and scrolls at the bottom; colours are dropped', () => {
    expect(renderScreen('abcdefgh', 4, 3)).toBe('abcd\nefgh');
    expect(renderScreen('1\r\n2\r\n3\r\n4', 4, 3)).toBe('2\n3\n4');
    expect(renderScreen('a\nb', 4, 3)).toBe('a\n b');
    expect(renderScreen('\x1b[1m\x1b[90mgrey\x1b[39m\x1b[22m ok', 20, 2)).toBe('grey ok');
    expect(stripAnsi('\x1b[?25l\x1b[1mA\x1b[22m\r\n\x1b]0;title\x07B')).toBe('A\nB');
  });
});
