//! A transaction's recipients, as indices into the envelope.

/// A transaction's recipients: a run of the envelope's (no allocation), or a retry list.
#[derive(Debug)]
pub(crate) enum Batch {
    Run(std::ops::Range<usize>),
    Retry(Vec<usize>),
}

impl Default for Batch {
    fn default() -> Self {
        Batch::Run(0..0)
    }
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        match self {
            Batch::Run(range) => range.len(),
            Batch::Retry(list) => list.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<usize> {
        match self {
            Batch::Run(range) => range.clone().nth(i),
            Batch::Retry(list) => list.get(i).copied(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (run, list) = match self {
            Batch::Run(range) => (range.clone(), &[][..]),
            Batch::Retry(list) => (0..0, list.as_slice()),
        };
        run.chain(list.iter().copied())
    }
}
