import { textProblem } from './text-validators';

describe('textProblem', () => {
  it.each([
    ['a lone surrogate', 'a\ud800b', /surrogate/],
    ['U+FFFD left by invalid UTF-8', 'caf\ufffd', /UTF-8/],
    ['NUL', 'a\u0000', /control/],
    ['a C1 control', 'a\u0085b', /control/],
    ['a line break in one-line text', 'a\nb', /control/],
    ['a right-to-left override', 'a\u202Eb', /bidirectional/],
    ['a first-strong isolate', 'a\u2068b', /bidirectional/],
    ['only spaces', ' \u00A0\u3000', /visible/],
    ['only zero-width characters', '\u200B\u200D\uFEFF', /visible/],
    ['only fillers', '\u3164\u2800', /visible/],
  ])('refuses %s', (_what, value, message) => {
    expect(textProblem(value)).toMatch(message);
  });

  it('keeps any script, emoji with joiners, marks, and line breaks in multi-line text', () => {
    expect(textProblem('محمد\u200F Ødegård 👩\u200D🔬')).toBeUndefined();
    expect(textProblem('one\ntwo\tthree\r\n', { multiline: true })).toBeUndefined();
    expect(textProblem('bell \u0007', { multiline: true })).toMatch(/control/);
  });
});
