// Binary floats drift (0.3 - 0.1 = 0.19999999999999998), which would reject a refund of exactly
// what is left on an order. Rounding every sum to a millionth keeps balances exact for any currency.
const SCALE = 1_000_000;

export function addMoney(a: number, b: number): number {
  return Math.round((a + b) * SCALE) / SCALE;
}

export function subtractMoney(a: number, b: number): number {
  return Math.round((a - b) * SCALE) / SCALE;
}
