//! `history(path)`: each version of a path with the time it began.

use super::path::components;
use super::read::kind_of;
use super::write::path_attr;
use super::{BlobFs, NodeKind, Version, VersionState};
use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::index;
use crate::time::ClaimTime;
use std::collections::BTreeSet;
use strata_api::ReadOptions;

impl BlobFs {
    /// Every version of `path`, oldest first: a version begins whenever
    /// what the path shows changes (it appears, disappears, changes kind or
    /// permanode, a file gets a new `file` blob, a directory's entry names
    /// change). The state before the first version is absence.
    ///
    /// The candidate times are the dates of every claim that ever bound any
    /// name along the path (through every permanode ever bound there) and
    /// of every claim on any permanode ever bound to the path; the path is
    /// resolved at each.
    ///
    /// # Errors
    /// `Usage` for a bad path; `Corruption` met on the way.
    pub fn history(&self, path: &str) -> Result<Vec<Version>> {
        let names = components(path)?;
        let ro = self.read_view();
        let engine = self.engine.as_ref();
        let mut times = BTreeSet::new();
        let mut level = BTreeSet::from([self.root]);
        for name in &names {
            let mut next = BTreeSet::new();
            for dir in &level {
                for c in index::attribute_claims(engine, &ro, dir, &path_attr(name), None)? {
                    times.insert(c.date);
                    if let Some(r) = c.value.as_deref().and_then(BlobRef::parse) {
                        next.insert(r);
                    }
                }
            }
            level = next;
        }
        for pn in &level {
            for c in index::claims_of(engine, &ro, pn, None)? {
                times.insert(c.date);
            }
        }
        let mut out = Vec::new();
        let mut prev = VersionState::Absent;
        for t in times {
            let state = self.state_at(&ro, &names, t)?;
            if state != prev {
                out.push(Version {
                    time: t,
                    state: state.clone(),
                });
                prev = state;
            }
        }
        Ok(out)
    }

    fn state_at(&self, ro: &ReadOptions, names: &[String], t: ClaimTime) -> Result<VersionState> {
        let chain = match self.resolve(ro, names, Some(t)) {
            Ok(chain) => chain,
            Err(FsError::NotFound(_)) => return Ok(VersionState::Absent),
            Err(e) => return Err(e),
        };
        let pn = chain[chain.len() - 1];
        let attrs = self.node_attrs(ro, &pn, Some(t))?;
        match kind_of(&attrs) {
            Some(NodeKind::Directory) => {
                let entries = self
                    .readdir_node(ro, &pn, Some(t), "")?
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                Ok(VersionState::Directory {
                    permanode: pn,
                    entries,
                })
            }
            Some(NodeKind::File) => match Self::content_of(&attrs, &pn)? {
                Some(content) => {
                    let (_, parts) = self.load_file(ro, &content)?;
                    Ok(VersionState::File {
                        permanode: pn,
                        content,
                        size_bytes: parts.size_bytes,
                    })
                }
                None => Ok(VersionState::Absent),
            },
            None => Ok(VersionState::Absent),
        }
    }
}
