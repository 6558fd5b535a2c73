// Validation perplexity per genre at each run's latest evaluation: one column per genre,
// named by its corpus category where known, the run's worst genre marked.

import { reportGenres } from '../results-file.ts';
import { genreLabel } from '../series.ts';
import { useAppStore } from '../store.ts';

export function GenreTable() {
  const live = useAppStore((s) => s.live);
  const imported = useAppStore((s) => s.imported);
  const runs = [...live, ...imported].filter((run) => run.evals.length > 0);
  const genres = reportGenres(runs);
  if (genres.length === 0) return null;
  // Column titles take the name from the first run that has one for the genre, and spaces let long names wrap.
  const header = (genre: string) => genreLabel(runs.find((run) => run.genreNames?.[genre]) ?? {}, genre).replaceAll('_', ' ');

  return (
    <section className="genre-panel" aria-label="Perplexity per genre">
      <h2>Validation perplexity per genre</h2>
      <p className="hint">Latest evaluation of each run; the run's worst genre is marked. Perplexity is exp(mean loss) over the genre's held-out windows.</p>
      <div className="genre-scroll">
        <table className="genre-table" aria-label="Validation perplexity per genre">
          <thead>
            <tr>
              <th>Run</th>
              <th>Step</th>
              {genres.map((genre) => <th key={genre} title={`genre ${genre}`} data-genre={genre}>{header(genre)}</th>)}
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const last = run.evals[run.evals.length - 1]!;
              return (
                <tr key={run.key} data-run={run.name}>
                  <td><span className="swatch" style={{ background: run.color }} />{run.name}</td>
                  <td>{last.step}</td>
                  {genres.map((genre) => {
                    const value = last.perGenrePerplexity?.[genre];
                    const worst = genre === last.worstGenre;
                    return (
                      <td key={genre} data-genre={genre} data-worst={worst ? '1' : undefined} className={worst ? 'worst' : undefined}>
                        {typeof value === 'number' ? value.toFixed(2) : '–'}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
