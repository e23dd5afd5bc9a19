/* global process, console, URL */
// `node scripts/longest-functions.mjs [N] [dir]`: lists the N longest functions under dir (default
// 15 under src/), longest first, as "lines  name  file:line", to watch for functions that grow past
// what a reader can follow (issue 14 aims for none over ~80 lines).
//
// Parses each .ts file with the TypeScript compiler API (no type checking, so it is fast and needs
// no tsconfig). A function is any declaration, method, constructor, accessor, function expression
// or arrow function; its length runs from its first token (after leading comments) to its last
// line. A nested function is counted on its own AND inside the function that holds it, as a reader
// of the outer one still has to read it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ts = createRequire(import.meta.url)("typescript");
const root = fileURLToPath(new URL("..", import.meta.url));
const limit = Number(process.argv[2] ?? 15);
const dir = join(root, process.argv[3] ?? "src");

/** Every .ts file under `path` (skipping .d.ts and generated code). */
function tsFiles(path) {
  if (statSync(path).isFile()) return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== "node_modules" && name !== "generated")
    .flatMap((name) => tsFiles(join(path, name)));
}

/** A readable name for a function node: its own name, or the variable/property/class it is bound to. */
function functionName(node, sf) {
  const text = (n) => (n ? n.getText(sf) : undefined);
  const owner = (n) => {
    for (let p = n.parent; p; p = p.parent) if (ts.isClassLike(p)) return p.name ? p.name.text : "(class)";
    return undefined;
  };
  if (ts.isConstructorDeclaration(node)) return `${owner(node)}.constructor`;
  if (ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) {
    const cls = owner(node);
    return cls ? `${cls}.${text(node.name)}` : text(node.name);
  }
  if (node.name) return text(node.name);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return text(parent.name);
  }
  if (ts.isCallExpression(parent)) return `(callback to ${text(parent.expression).slice(0, 40)})`;
  // Returned or passed elsewhere: named after the function that holds it.
  for (let p = parent; p; p = p.parent) if (isFunction(p)) return `${functionName(p, sf)} > (anonymous)`;
  return "(anonymous)";
}

const isFunction = (node) =>
  ts.isFunctionDeclaration(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessor(node) ||
  ts.isSetAccessor(node) ||
  ts.isFunctionExpression(node) ||
  ts.isArrowFunction(node);

const found = [];
for (const file of tsFiles(dir)) {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (isFunction(node) && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ lines: end - start + 1, name: functionName(node, sf), where: `${relative(root, file)}:${start + 1}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
found.sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
for (const f of found.slice(0, limit)) console.log(`${String(f.lines).padStart(5)}  ${f.name}  ${f.where}`);
