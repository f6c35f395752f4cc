use crate::CapStone;

#[derive(Debug, Clone)]
pub struct CapStoneGroup(pub CapStone, pub CapStone, pub CapStone);

#[derive(Clone, Copy, Debug, PartialEq)]
struct Neighbor {
    index: usize,
    distance: f64,
}

/// Return each pair Capstone indexes that are likely to be from a QR code
/// Ordered from most symmetric to least symmetric
pub fn find_and_rank_possible_neighbors(capstones: &[CapStone], idx: usize) -> Vec<(usize, usize)> {
    const VIABILITY_THRESHOLD: f64 = 0.25;

    let (hlist, vlist) = find_possible_neighbors(capstones, idx);
    let mut res = Vec::new();
    struct NeighborSet {
        score: f64,
        h_index: usize,
        v_index: usize,
    }
    /* Test each possible grouping */
    for hn in hlist {
        for vn in vlist.iter() {
            let score = {
                if hn.distance < vn.distance {
                    (1.0f64 - hn.distance / vn.distance).abs()
                } else {
                    (1.0f64 - vn.distance / hn.distance).abs()
                }
            };
            if score < VIABILITY_THRESHOLD {
                res.push(NeighborSet {
                    score,
                    h_index: hn.index,
                    v_index: vn.index,
                });
            }
        }
    }

    res.sort_unstable_by(|a, b| {
        (a.score)
            .partial_cmp(&(b.score))
            .expect("Neighbor distance should never cause a div by 0")
    });
    res.iter().map(|n| (n.h_index, n.v_index)).collect()
}

fn find_possible_neighbors(capstones: &[CapStone], idx: usize) -> (Vec<Neighbor>, Vec<Neighbor>) {
    let cap = &capstones[idx];
    let mut hlist = Vec::new();
    let mut vlist = Vec::new();

    /* Look for potential neighbours by examining the relative gradients
     * from this capstone to others.
     */
    #[allow(clippy::needless_range_loop)]
    for others_idx in 0..capstones.len() {
        if others_idx == idx {
            continue;
        }

        let cmp_cap = &capstones[others_idx];

        let (mut u, mut v) = cap.c.unmap(&cmp_cap.center);
        u = (u - 3.5f64).abs();
        v = (v - 3.5f64).abs();
        // pocketpass: the capstone's own perspective, extrapolated to a finder far away,
        // magnifies a one-pixel error in its corners into a wrong direction; the affine frame of
        // its sides does not. A neighbour is accepted when either says so.
        if let Some((au, av)) = affine_offset(cap, &cmp_cap.center) {
            let (au, av) = (au.abs(), av.abs());
            // "Not below", so that a NaN counts as not below.
            let not_below = |a: f64, b: f64| a.partial_cmp(&b) != Some(std::cmp::Ordering::Less);
            if (au < 0.2 * av && not_below(u, 0.2 * v)) || (av < 0.2 * au && not_below(v, 0.2 * u))
            {
                u = au;
                v = av;
            }
        }

        if u < 0.2f64 * v {
            hlist.push(Neighbor {
                index: others_idx,
                distance: v,
            });
        }

        if v < 0.2f64 * u {
            vlist.push(Neighbor {
                index: others_idx,
                distance: u,
            });
        }
    }

    (hlist, vlist)
}

/// Offset of `p` from the capstone's centre in module units along the capstone's sides, or
/// `None` for a degenerate capstone (pocketpass).
fn affine_offset(cap: &CapStone, p: &crate::Point) -> Option<(f64, f64)> {
    let c = &cap.corners;
    let ex = (
        ((c[1].x - c[0].x) + (c[2].x - c[3].x)) as f64 / 14.0,
        ((c[1].y - c[0].y) + (c[2].y - c[3].y)) as f64 / 14.0,
    );
    let ey = (
        ((c[3].x - c[0].x) + (c[2].x - c[1].x)) as f64 / 14.0,
        ((c[3].y - c[0].y) + (c[2].y - c[1].y)) as f64 / 14.0,
    );
    let det = ex.0 * ey.1 - ex.1 * ey.0;
    if det.abs() < 1e-6 {
        return None;
    }
    let d = ((p.x - cap.center.x) as f64, (p.y - cap.center.y) as f64);
    let u = (d.0 * ey.1 - d.1 * ey.0) / det;
    let v = (ex.0 * d.1 - ex.1 * d.0) / det;
    Some((u, v))
}
