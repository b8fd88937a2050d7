import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalLine, terminalText } from '../../src/terminal-text.ts';

test('terminalText turns every control character but tab and newline into "?"', () => {
  assert.equal(terminalText('a\x1b[2Jb\x07c\rd\te\nf\x7fg\x9bh\u202ei'), 'a?[2Jb?c?d\te\nf?g?h?i');
  assert.equal(terminalText('plain ünï 🚀'), 'plain ünï 🚀');
  assert.equal(terminalLine('subject\nfake line'), 'subject?fake line');
});
