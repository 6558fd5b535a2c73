// The WebGPU adapter, whether it is a software fallback, the limits granted and the
// measured matmul speed.

import { useAppStore } from '../store.ts';

export function DevicePanel() {
  const status = useAppStore((s) => s.deviceStatus);
  const adapter = useAppStore((s) => s.adapter);
  const limits = useAppStore((s) => s.limits);
  const benchmark = useAppStore((s) => s.benchmark);
  const message = useAppStore((s) => s.deviceMessage);

  return (
    <section className="device-panel" aria-label="Device">
      <h2>GPU</h2>
      {status === 'probing' && <p>Requesting a WebGPU device…</p>}
      {status === 'lost' && <p className="error" role="alert">{message}</p>}
      {adapter && (
        <>
          <dl>
            <dt>Vendor</dt><dd data-testid="adapter-vendor">{adapter.vendor || 'not reported'}</dd>
            <dt>Architecture</dt><dd data-testid="adapter-architecture">{adapter.architecture || 'not reported'}</dd>
            <dt>Description</dt><dd>{adapter.description || 'not reported'}</dd>
            <dt>Matmul speed</dt>
            <dd data-testid="matmul-speed">
              {benchmark
                ? `${benchmark.gflops.toFixed(2)} GFLOP/s (${benchmark.size}×${benchmark.size}×${benchmark.size}, median of ${benchmark.repetitions}: ${benchmark.medianMs.toFixed(2)} ms)`
                : 'measuring…'}
            </dd>
          </dl>
          {adapter.isFallbackAdapter && (
            <p className="warning" role="note" data-testid="fallback-warning">
              This is a software (fallback) adapter: the GPU work runs on the CPU, so training will be slow. Use the tiny preset,
              or a browser and machine with a hardware GPU.
            </p>
          )}
          {limits && (
            <details>
              <summary>Limits granted</summary>
              <table className="limits">
                <tbody>
                  {Object.entries(limits).map(([name, value]) => <tr key={name}><td>{name}</td><td>{value.toLocaleString()}</td></tr>)}
                </tbody>
              </table>
            </details>
          )}
          <details>
            <summary>Features</summary>
            <p>{adapter.features.join(', ') || 'none'}</p>
          </details>
        </>
      )}
    </section>
  );
}
