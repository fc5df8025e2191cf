import { loadSeal } from './core/secure-agg/seal-library.ts';
import { createBfvContext } from './core/secure-agg/seal-context.ts';
const seal = await loadSeal();
try { createBfvContext(seal, { polyModulusDegree: 4096, coeffModulusBits: [30], plainModulus: '786432' }); } catch (e) { console.log((e as Error).message, '|', ((e as Error).cause as Error).message); }
try { createBfvContext(seal, { polyModulusDegree: 4096, coeffModulusBits: [60, 60], plainModulus: '786433' }); } catch (e) { console.log((e as Error).message, '|', ((e as Error).cause as Error)?.message); }
try { createBfvContext(seal, { polyModulusDegree: 2048, coeffModulusBits: [56], plainModulus: '786433' }); } catch (e) { console.log((e as Error).message, '|', ((e as Error).cause as Error)?.message); }
