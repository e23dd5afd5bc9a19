/** Chunked lists: pages of 500 followed through `continue`, one snapshot's resourceVersion, and the fallback to one unpaged list when a continue token expired (410). */
import { describe, expect, it } from "vitest";
import { LIST_PAGE_SIZE, listInPages, type KubeList } from "../../../src/sync/kube/kinds.js";

const item = (i: number) => ({ metadata: { name: `p${i}`, resourceVersion: String(i) } });

function pager(total: number, options: { expireAfterPages?: number } = {}) {
  const calls: { limit: number; _continue?: string }[] = [];
  const fetchPage = async (page: { limit: number; _continue?: string }): Promise<KubeList> => {
    calls.push(page);
    if (page.limit === 0) return { metadata: { resourceVersion: "900" }, items: Array.from({ length: total }, (_, i) => item(i)) };
    const start = page._continue ? Number(page._continue) : 0;
    if (options.expireAfterPages !== undefined && page._continue && start / page.limit >= options.expireAfterPages)
      throw Object.assign(new Error("Expired"), { code: 410, body: '{"reason":"Expired","message":"The provided continue parameter is too old"}' });
    const end = Math.min(total, start + page.limit);
    // Custom objects answer plain JSON (`continue`), typed lists the model's `_continue`: both are followed.
    const meta = end < total ? (start === 0 ? { _continue: String(end) } : { continue: String(end) }) : {};
    return { metadata: { resourceVersion: start === 0 ? "100" : "999", ...meta }, items: Array.from({ length: end - start }, (_, i) => item(start + i)) } as KubeList;
  };
  return { calls, fetchPage };
}

describe("listInPages", () => {
  it("asks for pages of LIST_PAGE_SIZE and follows continue; the listing carries the first page's resourceVersion", async () => {
    const p = pager(1234);
    const list = await listInPages(p.fetchPage);
    expect(p.calls).toEqual([{ limit: LIST_PAGE_SIZE }, { limit: LIST_PAGE_SIZE, _continue: "500" }, { limit: LIST_PAGE_SIZE, _continue: "1000" }]);
    expect(list.items.map((i) => i.metadata!.name)).toEqual(Array.from({ length: 1234 }, (_, i) => `p${i}`));
    expect(list.metadata?.resourceVersion).toBe("100");
    expect(list.metadata?._continue).toBeUndefined();
  });

  it("one page when the collection is small", async () => {
    const p = pager(3);
    expect((await listInPages(p.fetchPage)).items).toHaveLength(3);
    expect(p.calls).toHaveLength(1);
  });

  it("an expired continue token (410) falls back to one unpaged list", async () => {
    const p = pager(1200, { expireAfterPages: 1 });
    const list = await listInPages(p.fetchPage);
    expect(p.calls.map((c) => c.limit)).toEqual([LIST_PAGE_SIZE, LIST_PAGE_SIZE, 0]);
    expect(list.items).toHaveLength(1200);
    expect(list.metadata?.resourceVersion).toBe("900");
  });
});
