// Shown instead of the app when the browser offers no WebGPU adapter.

export function NoWebGpu({ reason }: { reason: string }) {
  const secure = typeof window !== 'undefined' && window.isSecureContext;
  return (
    <main className="no-webgpu" data-testid="no-webgpu">
      <h1>This browser cannot run the ESLM Playground: WebGPU is not available</h1>
      <p>The playground trains its models on the GPU through WebGPU, and it does not pretend to train without it.</p>
      <p><strong>What is missing:</strong> {reason}</p>
      <h2>How to enable it</h2>
      <ul>
        <li>Use a current Chrome or Edge (version 113 or later), Safari 26 or later, or Firefox 141 or later on Windows.</li>
        {!secure && <li>Open the page over https or from localhost: browsers offer WebGPU only in secure contexts.</li>}
        <li>On Linux, Chrome needs <code>chrome://flags/#enable-unsafe-webgpu</code> set to Enabled (and, for Vulkan, <code>--enable-features=Vulkan</code>).</li>
        <li>Check <code>chrome://gpu</code>: if WebGPU shows as disabled or blocklisted, update the GPU driver or enable it there.</li>
        <li>Without a GPU, Chromium can use its software adapter: start it with <code>--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader</code> (slow, but it trains the tiny preset).</li>
      </ul>
    </main>
  );
}
