// One Lambda function's execution environment, in a worker_thread. Plain JavaScript on purpose: it
// loads the function's bundled code (cdk.out/asset.*/index.mjs) exactly as deployed, with no
// TypeScript loader in between. The worker's process.env is the function's environment.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { codeDir, handler, functionName, memorySize, functionArn, sourceMaps } = workerData;

if (sourceMaps && typeof process.setSourceMapsEnabled === 'function') {
  try {
    process.setSourceMapsEnabled(true);
  } catch {
    // not fatal
  }
}

class RuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

function isEsmJs(file) {
  // Lambda treats .js as ES module only when the nearest package.json in the code says so.
  let dir = dirname(file);
  while (dir.startsWith(codeDir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return JSON.parse(readFileSync(pkg, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return false;
}

async function loadHandler() {
  if (!codeDir || !existsSync(codeDir)) {
    throw new RuntimeError('Runtime.ImportModuleError', `code directory ${codeDir} not found for ${functionName}`);
  }
  const dot = handler.lastIndexOf('.');
  const modulePath = dot < 0 ? handler : handler.slice(0, dot);
  const exportPath = dot < 0 ? 'handler' : handler.slice(dot + 1);
  const base = join(codeDir, modulePath);
  const file = ['.mjs', '.cjs', '.js'].map((ext) => base + ext).find((f) => existsSync(f));
  if (!file) throw new RuntimeError('Runtime.ImportModuleError', `Cannot find module '${modulePath}' in ${codeDir}`);
  let mod;
  if (file.endsWith('.mjs') || (file.endsWith('.js') && isEsmJs(file))) {
    mod = await import(pathToFileURL(file).href);
  } else {
    mod = createRequire(file)(file);
  }
  let fn = mod;
  for (const part of exportPath.split('.')) fn = fn?.[part];
  if (typeof fn !== 'function' && mod?.default) {
    fn = mod.default;
    for (const part of exportPath.split('.')) fn = fn?.[part];
  }
  if (typeof fn !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${handler} is undefined or not exported`);
  return fn;
}

let handlerPromise;
function getHandler() {
  if (!handlerPromise) {
    handlerPromise = loadHandler();
    handlerPromise.catch(() => {
      handlerPromise = undefined; // like Lambda: a failed init is retried on the next invoke
    });
  }
  return handlerPromise;
}

function makeContext(requestId, deadline) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

function serializeError(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack ?? '').split('\n') };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

async function invoke(msg) {
  const { id, event, requestId, deadline } = msg;
  try {
    const fn = await getHandler();
    const context = makeContext(requestId, deadline);
    let result;
    if (fn.length >= 3) {
      result = await new Promise((resolve, reject) => {
        const r = fn(event, context, (err, res) => (err ? reject(err) : resolve(res)));
        if (r && typeof r.then === 'function') r.then(resolve, reject);
      });
    } else {
      result = await fn(event, context);
    }
    // Lambda serialises the result as JSON.
    const json = JSON.stringify(result);
    parentPort.postMessage({ id, ok: true, result: json === undefined ? 'null' : json });
  } catch (err) {
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error\t${JSON.stringify(serializeError(err))}`);
    parentPort.postMessage({ id, ok: false, error: serializeError(err) });
  }
}

parentPort.on('message', (msg) => {
  if (msg && msg.type === 'invoke') void invoke(msg);
});

process.on('unhandledRejection', (reason) => {
  console.error(`${new Date().toISOString()}\tundefined\tERROR\tUnhandled Promise Rejection\t${JSON.stringify(serializeError(reason))}`);
});
