// Explainer panel: ESLM's method, its formulas, and a guide to each chart.

export function Explainer() {
  return (
    <section className="explainer" aria-label="Explainer">
      <h2>What ESLM does</h2>
      <p>
        Ordinary training (CLM) averages the loss over all <var>M</var> = <var>B</var>·<var>T</var> tokens of a batch.
        Efficient Selective Language Modeling runs the forward pass on every token, scores each token, and back-propagates
        only through the tokens that score highest: those the model finds hardest (largest loss) or is least sure about (largest entropy).
      </p>
      <h3>Scores</h3>
      <p className="formula">ℓ<sub>j</sub> = −log p(x<sub>j</sub> | x<sub>&lt;j</sub>) &nbsp;&nbsp; H<sub>j</sub> = −Σ<sub>v</sub> p<sub>v</sub> log p<sub>v</sub></p>
      <h3>Value-at-risk selection</h3>
      <p>
        With confidence level α ∈ [0, 1), keep exactly <span className="formula">k = ⌈(1 − α)·M⌉</span> tokens, those with the
        largest scores (ties go to the lower position). The threshold <span className="formula">VaR<sub>α</sub></span> is the smallest kept score.
      </p>
      <h3>CVaR loss</h3>
      <p className="formula">L = (1/k) Σ<sub>j</sub> m<sub>j</sub> ℓ<sub>j</sub>, &nbsp; m<sub>j</sub> = 1 if s<sub>j</sub> ≥ VaR<sub>α</sub> (top k), else 0</p>
      <p>
        With the loss as score, L is the empirical conditional value-at-risk: the mean of the worst (1 − α) share of token losses.
        Dividing by k rather than M keeps the learning rate's meaning.
        α = 0 keeps every token and is exactly CLM.
      </p>
      <h3>The masking adversary</h3>
      <p>
        CVaR has a dual form: <span className="formula">CVaR<sub>α</sub>(ℓ) = max<sub>q</sub> Σ<sub>j</sub> q<sub>j</sub> ℓ<sub>j</sub></span> over
        weights with <span className="formula">0 ≤ q<sub>j</sub> ≤ 1/k</span> and <span className="formula">Σ q<sub>j</sub> = 1</span>.
        An adversary re-weights the batch towards its hardest tokens, and the model minimises the worst case it can build:
        training becomes a min–max game that guards against the hardest parts of the data distribution, not just its average.
        The optimal adversary puts weight 1/k on the top-k tokens, which is the mask above.
      </p>
      <h3>The other strategies</h3>
      <ul>
        <li><strong>Random</strong> keeps the same k tokens as ESLM, drawn uniformly: it separates "which tokens" from "how many".</li>
        <li>
          <strong>Ada-ESLM</strong> (this playground's own rule; the published one is not available to us): every few steps,
          with cv the coefficient of variation (standard deviation / mean) of the recent batches' token losses,
          <span className="formula"> target = α<sub>min</sub> + (α<sub>max</sub> − α<sub>min</sub>)·clamp((cv − 0.4)/0.6, 0, 1)</span> and
          <span className="formula"> α ← α + 0.3·(target − α)</span>, kept within [α<sub>min</sub>, α<sub>max</sub>] (default [0.2, 0.8]).
          Spread-out losses raise α to focus on the few tokens that carry the loss; even losses lower it to keep more tokens.
        </li>
        <li><strong>Rho-1</strong> ranks tokens by excess loss ℓ<sub>θ</sub> − ℓ<sub>ref</sub> over a frozen reference model.</li>
        <li>
          <strong>ESLM-KD</strong> trains the kept tokens on (1 − λ)·CE + λ·τ²·KL(p<sub>teacher</sub><sup>τ</sup> ‖ p<sub>student</sub><sup>τ</sup>) from a frozen teacher.
          Rho-1 and ESLM-KD need a saved model of the same tokenizer and corpus: train a run, press <strong>Save model</strong> in the runs table,
          and load the downloaded <code>.safetensors</code> file in the strategy's row (or save one with <code>npm run train -- --save-checkpoints DIR</code>).
          A shared link cannot carry the file, so it must be loaded again.
        </li>
      </ul>
      <p>
        <strong>Micro-batches</strong> split each batch for the backward pass (masked gradient accumulation): the whole batch is scored first and
        its k tokens are selected once, so the gradient matches that of the batch in one piece within float tolerance, at a lower memory peak.
      </p>
      <h3>Reading the charts</h3>
      <ul>
        <li><strong>Training loss</strong> is over all tokens, so CLM and ESLM are compared on the same quantity.</li>
        <li><strong>Validation perplexity</strong> is on held-out documents, all tokens counted: the number to compare for quality.</li>
        <li>
          <strong>Worst-genre validation perplexity</strong> is the perplexity of the hardest Brown genre at each evaluation, and the table
          below the charts lists every genre. ESLM claims robustness across distributions: if it holds, its worst genre improves at least as much as its average.
        </li>
        <li><strong>Selected-token ratio</strong> is k/M: 1 for CLM, ⌈(1 − α)·M⌉/M for ESLM.</li>
        <li><strong>α over time</strong> plots each step's α: constant for most strategies, moved within [α<sub>min</sub>, α<sub>max</sub>] by Ada-ESLM.</li>
        <li><strong>FLOPs saved</strong>: executed counts the kernels really run (dropped rows skip the cross-entropy and LM-head backward, which dominates with a large vocabulary, and the final LayerNorm and last block's position-wise backward; earlier blocks still run on every position, because later kept tokens attend to them); nominal uses the usual 2N forward plus 4N backward per kept token. Both are relative to the CLM run at the same step.</li>
        <li><strong>Tokens per second</strong> is the throughput of each step on this GPU.</li>
        <li>Switch the x-axis to <strong>cumulative executed FLOPs</strong> to read off whether a run reaches the same perplexity for less compute.</li>
        <li>In the <strong>token view</strong>, darker tokens scored higher; outlined tokens were kept. The histogram marks VaR (dashed) and CVaR (solid), except for Random, which keeps tokens without a score, and Rho-1, which selects by excess loss rather than the loss shown.</li>
      </ul>
    </section>
  );
}
