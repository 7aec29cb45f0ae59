import { describe, expect, it } from 'vitest';
import { fitToWidth, padToWidth, visibleWidth } from '../../src/ui/tty-text.js';
import { HeadlessTerminal } from '../helpers/screen.js';

const cyan = (s: string) => `\x1b[36m${s}\x1b[39m`;

describe('text as a terminal shows it', () => {
  it('colour codes take no columns, wide characters two, combining marks none', () => {
    expect(visibleWidth(cyan('█████') + ' 43%')).toBe(9);
    expect(visibleWidth('卷-データ')).toBe(9);
    expect(visibleWidth('e\u0301')).toBe(1);
  });

  it('a cut keeps the colour codes, ends with … and resets the colour', async () => {
    const cut = fitToWidth(`${cyan('██████████')} 43% 0.9/2.0 GiB`, 8);
    expect(cut).toBe('\x1b[36m███████…\x1b[0m');
    // On a screen it takes exactly 8 columns.
    const term = new HeadlessTerminal(20, 2);
    term.write(cut + 'x');
    expect((await term.screen()).lines[0]).toBe('███████…x');
    expect(fitToWidth('short', 8)).toBe('short');
    expect(fitToWidth('数据卷数据卷', 5)).toBe('数据…');
  });

  it('pads to a number of columns, cutting what is longer', () => {
    expect(padToWidth('vol', 6)).toBe('vol   ');
    expect(padToWidth('a-much-longer-name', 8)).toBe('a-much-…');
  });
});
