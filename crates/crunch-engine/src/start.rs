//! What step 0 of a path computes, kept for the next path that starts from the same state
//! (every path of a scenario does): the pruned scan's index and the step's outcome.

use crate::screen::Screen;

/// Step 0's outcome on an initial state: the least health factor and the book's totals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Initial {
    /// The least `H_j(0)` over accounts with debt (`+inf` without any).
    pub(crate) min_health: f64,
    /// `sum_j D_j(0)`.
    pub(crate) debt: f64,
    /// `sum_j V_j(0)`.
    pub(crate) collateral: f64,
    /// The book's borrowing power at step 0.
    pub(crate) borrowing_power: f64,
    /// Whether some account starts with `D_j > V_j`.
    pub(crate) insolvent: bool,
}

/// What step 0 starts from: the book (`debt`, asset-major `coll`), the prices and the
/// policy's `ltv` and `lt`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub(crate) debt: &'a [f64],
    pub(crate) coll: &'a [f64],
    pub(crate) p: &'a [f64],
    pub(crate) ltv: &'a [f64],
    pub(crate) lt: &'a [f64],
}

/// How many of [`Inputs::parts`], the first, are the book's.
const BOOK_PARTS: usize = 2;

impl Inputs<'_> {
    /// The inputs in [`Start`]'s order: the book's ([`BOOK_PARTS`]) first.
    fn parts(&self) -> [&[f64]; 5] {
        [self.debt, self.coll, self.p, self.ltv, self.lt]
    }
}

/// The index built at a path's first step and that step's outcome, kept with the inputs
/// they were computed from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Start {
    /// The inputs, in [`Inputs::parts`]'s order, from `skipped` on.
    inputs: [Vec<f64>; 5],
    screen: Option<Screen>,
    initial: Option<Initial>,
    /// The inputs neither kept nor compared: the book's ([`BOOK_PARTS`]) when every path
    /// starts from the same one ([`Start::of_one_book`]), else none.
    skipped: usize,
}

impl Start {
    /// For buffers that serve one book, unchanged ([`crate::Scratch::for_run`]): the index
    /// kept from an earlier path is of that book, so only the prices and the requirements
    /// are kept and compared, not its debts and holdings.
    pub(crate) fn of_one_book() -> Self {
        Self {
            skipped: BOOK_PARTS,
            ..Self::default()
        }
    }

    /// Whether the kept index (of every account with debt, as [`Screen::rebuild`] makes
    /// it) was made from `inputs`, bit for bit: then `Some`, with the kept outcome if any.
    pub(crate) fn kept(&self, inputs: Inputs) -> Option<Option<Initial>> {
        let same = |x: &[f64], y: &[f64]| {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
        };
        self.screen.as_ref()?;
        let mut pairs = self.inputs.iter().zip(inputs.parts()).skip(self.skipped);
        pairs.all(|(kept, x)| same(kept, x)).then_some(self.initial)
    }

    /// Copies the kept index into `screen` (when [`Start::kept`] found it is the one).
    pub(crate) fn restore(&self, screen: &mut Screen) {
        if let Some(kept) = &self.screen {
            screen.clone_from(kept);
        }
    }

    /// Keeps `screen`, the index made from `inputs`, and `initial`, step 0's outcome on
    /// them (`None`: not to be reused).
    pub(crate) fn keep(&mut self, screen: &Screen, inputs: Inputs, initial: Option<Initial>) {
        for (kept, x) in self
            .inputs
            .iter_mut()
            .zip(inputs.parts())
            .skip(self.skipped)
        {
            kept.clear();
            kept.extend_from_slice(x);
        }
        self.screen = Some(screen.clone());
        self.initial = initial;
    }
}
