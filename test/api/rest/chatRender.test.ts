/** Chat answers as Markdown and Slack Block Kit: escaping of anything that came from a request or the cluster, and size limits. */
import { describe, expect, it } from "vitest";
import { helpMessage } from "../../../src/api/chat/answer.js";
import { code, escapeMarkdown, escapeSlack, render, text } from "../../../src/api/chat/render.js";

const HOSTILE = "a<b>&c*d*_e_~f~`i`|j[k](http://l)<!channel><@U1>";

describe("escaping", () => {
  it("Slack: &, < and > become entities, nothing else changes", () => {
    expect(escapeSlack("<!channel> & <http://x|y>")).toBe("&lt;!channel&gt; &amp; &lt;http://x|y&gt;");
    expect(escapeSlack("a*b_c~d`e")).toBe("a*b_c~d`e");
  });

  it("Markdown: formatting, links, HTML and table characters get a backslash", () => {
    expect(escapeMarkdown("*a* _b_ [c](d) <e> & f|g ~h~ `i` \\")).toBe("\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\& f\\|g \\~h\\~ \\`i\\` \\\\");
  });

  it("a hostile name as text and as code cannot inject markup in either rendering", () => {
    const a = render({ title: [text("about "), code(HOSTILE)], items: [[text(HOSTILE)]], context: [code(HOSTILE)] });
    const slack = JSON.stringify(a.blocks);
    expect(slack).not.toMatch(/<[!@#a-z]/);
    expect(a.blocks[0]!.text!.text).toBe("*about `a&lt;b&gt;&amp;c*d*_e_~f~\u2032i\u2032|j[k](http://l)&lt;!channel&gt;&lt;@U1&gt;`*");
    expect(a.blocks[1]!.text!.text).toBe("\u2022 a&lt;b&gt;&amp;c*d*_e_~f~`i`|j[k](http://l)&lt;!channel&gt;&lt;@U1&gt;");
    const md = a.markdown.split("\n");
    expect(md[0]).toBe("**about `a<b>&c*d*_e_~f~\u2032i\u2032|j[k](http://l)<!channel><@U1>`**");
    expect(md[2]).toBe("- a\\<b\\>\\&c\\*d\\*\\_e\\_\\~f\\~\\`i\\`\\|j\\[k\\](http://l)\\<!channel\\>\\<@U1\\>");
    expect(md[4]).toBe("_`a<b>&c*d*_e_~f~\u2032i\u2032|j[k](http://l)<!channel><@U1>`_");
  });

  it("line breaks in names cannot start new Markdown blocks", () => {
    const a = render({ title: [code("x\n# heading")], items: [[text("y\r\n- item")]] });
    expect(a.markdown).toBe("**`x # heading`**\n\n- y - item");
  });
});

describe("limits", () => {
  it("long answers are split into sections under Slack's 3000 characters, at most 50 blocks", () => {
    const items = Array.from({ length: 400 }, (_, i) => [code(`ns/workload-${i}-${"x".repeat(40)}[Deployment]`), text(": TCP 80")]);
    const a = render({ title: [text("many")], items });
    expect(a.blocks.length).toBeLessThanOrEqual(50);
    for (const b of a.blocks) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(a.blocks.length).toBeGreaterThan(3);
  });

  it("the help lists the phrasings and says ephemeral", () => {
    const a = render(helpMessage("foo <bar>"));
    expect(a.response_type).toBe("ephemeral");
    expect(a.markdown).toContain("**I did not understand `foo <bar>`. I understand:**");
    for (const phrase of ["who can reach prod/db on 5432", "can shop/frontend reach prod/db:5432", "what changed in prod since yesterday", "in the last 3 days", "help"])
      expect(a.markdown).toContain(`\`${phrase}\``);
    expect(a.blocks[0]!.text!.text).toBe("*I did not understand `foo &lt;bar&gt;`. I understand:*");
  });
});
