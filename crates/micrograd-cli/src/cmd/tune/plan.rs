//! A sweep as independent processes: `--plan P.jsonl` writes the trials (one self-contained JSON
//! line each), `--run-trial K --plan P.jsonl --out DIR` runs trial K into `DIR/trial-K.json`, and
//! `--collect DIR` merges the results into the same table, JSON lines and picture as one process
//! would give.

use super::space::Params;
use super::trial::{Folds, Sweep, TrialResult};
use crate::csv_data;
use crate::output::{write_atomic, wrote};
use anyhow::{bail, Context, Result};
use micrograd::train::LossKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What every trial of a sweep shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The data file.
    pub data: PathBuf,
    /// The loss's name.
    pub loss: String,
    /// Epochs per trial.
    pub epochs: usize,
    /// The validation split (absent with folds).
    pub val_split: Option<f64>,
    /// The number of folds.
    pub folds: Option<usize>,
    /// The sweep's seed.
    pub seed: u64,
}

/// One line of a plan: a trial and everything needed to run it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanLine {
    /// The trial's index.
    pub trial: usize,
    /// Its hyperparameters.
    pub params: Params,
    /// The sweep's settings.
    pub sweep: Settings,
}

/// Writes the plan of `trials`.
pub fn write_plan(path: &Path, settings: &Settings, trials: &[Params]) -> Result<()> {
    write_atomic(path, |w| {
        for (trial, params) in trials.iter().enumerate() {
            let line = PlanLine {
                trial,
                params: params.clone(),
                sweep: settings.clone(),
            };
            serde_json::to_writer(&mut *w, &line)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    wrote(path, &format!("the plan of {} trials", trials.len()));
    Ok(())
}

/// Reads a plan, naming the file and the line in errors.
pub fn read_plan(path: &Path) -> Result<Vec<PlanLine>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    let lines = text
        .lines()
        .enumerate()
        .map(|(k, l)| {
            serde_json::from_str::<PlanLine>(l)
                .with_context(|| format!("{} line {}: not a plan line", path.display(), k + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    if lines.is_empty() {
        bail!("the plan {} has no trials", path.display());
    }
    Ok(lines)
}

/// Runs trial `k` of the plan and writes its result to `out/trial-K.json`.
pub fn run_trial(plan: &Path, k: usize, out: &Path) -> Result<()> {
    let lines = read_plan(plan)?;
    let Some(line) = lines.iter().find(|l| l.trial == k) else {
        bail!(
            "the plan {} has no trial {k} (it has {})",
            plan.display(),
            lines.len()
        );
    };
    let s = &line.sweep;
    let data = csv_data::load(&s.data)?.dataset;
    let loss: LossKind = s
        .loss
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: trial {k}: {e}", plan.display()))?;
    let folds = Folds::new(&data, s.val_split, s.folds, s.seed)?;
    let sweep = Sweep {
        data: &data,
        loss,
        folds: &folds,
        epochs: s.epochs,
        seed: s.seed,
        halving: false,
    };
    let result = sweep.trial(k, &line.params, s.epochs)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(format!("trial-{k}.json"));
    let json = serde_json::to_string(&result)?;
    write_atomic(&path, |w| Ok(w.write_all(json.as_bytes())?))?;
    wrote(&path, &format!("trial {k}'s result"));
    Ok(())
}

/// Reads every `trial-*.json` in `dir`, in trial order; with the plan, every planned trial must
/// have its result.
pub fn collect(dir: &Path, plan: Option<&Path>) -> Result<Vec<TrialResult>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?;
    let mut results = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with("trial-") && name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let r: TrialResult = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a trial result (corrupt or incomplete)",
                path.display()
            )
        })?;
        let named = name["trial-".len()..name.len() - ".json".len()].parse::<usize>();
        if named != Ok(r.trial) {
            bail!(
                "{}: the result of trial {}, in a file not named trial-{}.json",
                path.display(),
                r.trial,
                r.trial
            );
        }
        results.push(r);
    }
    results.sort_by_key(|r| r.trial);
    if let Some(twice) = results.windows(2).find(|w| w[0].trial == w[1].trial) {
        bail!(
            "{}: two files hold the result of trial {}",
            dir.display(),
            twice[0].trial
        );
    }
    if let Some(plan) = plan {
        let planned = read_plan(plan)?;
        let missing: Vec<usize> = planned
            .iter()
            .filter(|l| results.binary_search_by_key(&l.trial, |r| r.trial).is_err())
            .map(|l| l.trial)
            .collect();
        if !missing.is_empty() {
            let mut shown: Vec<String> = missing.iter().take(10).map(|k| k.to_string()).collect();
            if missing.len() > 10 {
                shown.push(format!("and {} more", missing.len() - 10));
            }
            bail!(
                "{}: no result for trial{} {} of the plan",
                dir.display(),
                if missing.len() == 1 { "" } else { "s" },
                shown.join(", ")
            );
        }
        let trials: std::collections::HashSet<usize> = planned.iter().map(|l| l.trial).collect();
        if let Some(r) = results.iter().find(|r| !trials.contains(&r.trial)) {
            bail!(
                "{}: trial-{}.json is not a trial of the plan {} (it has {})",
                dir.display(),
                r.trial,
                plan.display(),
                planned.len()
            );
        }
    }
    if results.is_empty() {
        bail!("{}: no trial results (trial-K.json) found", dir.display());
    }
    Ok(results)
}
