/**
 * The store on every backend: PGlite in memory, PGlite on a temporary directory, and the real
 * PostgreSQL (a fresh database for this file). One store per backend is shared by the suites, and
 * each test works on its own cluster id; PGlite is closed in afterAll so the process exits.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { allBackends } from "./helpers/backends.js";
import { SuiteContext } from "./helpers/context.js";
import { matrixSuite } from "./suites/matrix.js";
import { objectsSuite } from "./suites/objects.js";
import { versionsSuite } from "./suites/versions.js";

describe.each(allBackends("store"))("store on $name", (backend) => {
  const ctx = new SuiteContext(backend);
  beforeAll(() => ctx.start());
  afterAll(() => backend.teardown());

  describe("objects and history", () => objectsSuite(ctx));
  describe("matrix generations", () => matrixSuite(ctx));
  describe("object versions", () => versionsSuite(ctx));
});
