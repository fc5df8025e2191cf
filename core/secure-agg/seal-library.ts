/**
 * Loads node-seal (Microsoft SEAL compiled to WebAssembly) once per process and names
 * the object types the codec uses. Nothing here holds key material.
 */
import sealModule from 'node-seal';

// node-seal ships a UMD bundle whose typings declare an ES default export; under Node's
// ESM-from-CJS interop the default import is the factory itself at run time, but the
// typings see a namespace. Accept both shapes.
type SealFactory = typeof sealModule.default;

/** The loaded SEAL library (constructors and enums). */
export type SealLibrary = Awaited<ReturnType<SealFactory>>;
export type SealContext = ReturnType<SealLibrary['Context']>;
export type SealEncryptionParameters = ReturnType<SealLibrary['EncryptionParameters']>;
export type SealCipherText = ReturnType<SealLibrary['CipherText']>;
export type SealPlainText = ReturnType<SealLibrary['PlainText']>;
export type SealEvaluator = ReturnType<SealLibrary['Evaluator']>;

let loading: Promise<SealLibrary> | undefined;
let loaded: SealLibrary | undefined;

/** Loads the WebAssembly module on first use; later calls share the same instance. */
export function loadSeal(): Promise<SealLibrary> {
  if (loading === undefined) {
    const factory: SealFactory =
      typeof sealModule === 'function' ? (sealModule as unknown as SealFactory) : sealModule.default;
    loading = factory().then((seal) => (loaded = seal));
  }
  return loading;
}

/**
 * The library, for synchronous code (the coordinator's round engine) that runs after
 * start-up awaited {@link loadSeal}. Throws if it has not been loaded.
 */
export function loadedSeal(): SealLibrary {
  if (loaded === undefined) throw new Error('node-seal is not loaded yet: await loadSeal() at start-up');
  return loaded;
}

/** Anything holding WebAssembly memory. */
export interface Deletable {
  delete(): void;
}

/** Frees WebAssembly objects; tolerates undefined so `finally` blocks stay short. */
export function deleteAll(...objects: (Deletable | undefined)[]): void {
  for (const o of objects) o?.delete();
}
