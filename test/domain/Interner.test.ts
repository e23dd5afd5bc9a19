import { describe, expect, it } from "vitest";
import { Interner } from "../../src/domain/Interner.js";

describe("Interner", () => {
  it("returns the value made for the first equal key, made once, frozen", () => {
    const interner = new Interner<{ readonly app: string }>(10);
    let made = 0;
    const a = interner.intern("web", () => (made++, { app: "web" }));
    const b = interner.intern("web", () => (made++, { app: "web" }));
    const c = interner.intern("db", () => (made++, { app: "db" }));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(made).toBe(2);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => ((a as { app: string }).app = "db")).toThrow(TypeError);
  });

  it("forgets everything past maxEntries distinct keys: values made before stay as they were", () => {
    const interner = new Interner<{ readonly n: number }>(3);
    const first = interner.intern("0", () => ({ n: 0 }));
    for (let i = 1; i < 3; i++) interner.intern(String(i), () => ({ n: i }));
    expect(interner.size).toBe(3);
    interner.intern("3", () => ({ n: 3 }));
    expect(interner.size).toBe(1);
    const again = interner.intern("0", () => ({ n: 0 }));
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(first).toEqual({ n: 0 });
  });
});
