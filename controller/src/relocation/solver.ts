import type { Highs } from 'highs';
import * as highsPackage from 'highs';

type Loader = () => Promise<Highs>;
// The package ships CommonJS typings next to an ES module build: under tsx the default import is
// the loader itself, under TypeScript's view it sits one `.default` deeper. Accept both.
const pkg = highsPackage as unknown as { default: Loader | { default: Loader } };
const loader: Loader = typeof pkg.default === 'function' ? pkg.default : pkg.default.default;

let loading: Promise<Highs> | undefined;

/** HiGHS compiled to WebAssembly, loaded once from the package's own .wasm (works offline). */
export function loadSolver(): Promise<Highs> {
  loading ??= loader();
  return loading;
}
