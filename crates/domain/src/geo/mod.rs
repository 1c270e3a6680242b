//! Geography: boundaries, the coordinate systems of Chinese map SDKs, point location and
//! coverage checks (全域覆盖、不留空白).

mod boundary;
mod coords;
mod coverage;
mod locate;
mod projected;
pub mod tiles;

pub use boundary::{Boundary, BoundaryError};
pub use coords::{Crs, bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02};
pub use coverage::{Coverage, GapPiece, Outside, Overlap, check_coverage};
pub use locate::{CodeBuf, IndexItem, LocateIndex, Located};
pub use projected::GaussKruger;
