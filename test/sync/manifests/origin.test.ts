import { describe, expect, it } from "vitest";
import { documentOrigin, itemOrigin, sortByOrigin } from "../../../src/sync/manifests/index.js";

describe("origins", () => {
  it("name the file, the document and the List items", () => {
    expect(itemOrigin(itemOrigin(documentOrigin("dir/f.yaml", 2), 0), 11)).toBe("dir/f.yaml#2.items[0].items[11]");
  });

  it("sort by file in reading order, then document and items numerically; unknown origins last, in order", () => {
    const files = ["b.yaml", "a.yaml"];
    const items = [
      { id: 1, origin: "a.yaml#0" },
      { id: 2, origin: "b.yaml#10" },
      { id: 3 },
      { id: 4, origin: "b.yaml#2.items[10]" },
      { id: 5, origin: "b.yaml#2.items[9] (spec.template)" },
      { id: 6, origin: "elsewhere#0" },
      { id: 7, origin: "b.yaml#2" },
      { id: 8, origin: "b.yaml#2.items[9]" },
    ];
    expect(sortByOrigin(items, files).map((i) => i.id)).toEqual([7, 5, 8, 4, 2, 1, 3, 6]);
  });
});
