pub use self::grid::SkewedGridLocation;
pub use self::match_capstones::find_and_rank_possible_neighbors;

pub mod grid;
pub mod match_capstones;

/// A simple point in (some) space
#[derive(Debug, Clone, Copy, Eq, PartialEq, Default)]
pub struct Point {
    /// Column, in pixels from the left edge.
    pub x: i32,
    /// Row, in pixels from the top edge.
    pub y: i32,
}
