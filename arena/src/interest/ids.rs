//! [`IdIndex`]: where each id of a list sorted by id (a room's bullets) is, found in one
//! step instead of a binary search. A large room builds one per step for the room's bullets
//! and one for their flight, and every view looks its ~30 bullets up in both.

/// The index of each id of a list whose ids increase (wrapping), by offset from the first.
#[derive(Clone, Debug, Default)]
pub(super) struct IdIndex {
    first: u32,
    /// `at[id - first]`: the index of `id` in the list, or [`ABSENT`].
    at: Vec<u32>,
    /// The ids span too much for a table: [`Self::get`] answers `None` and callers search.
    sparse: bool,
}

const ABSENT: u32 = u32::MAX;
/// The widest span of ids a table is built for (a room's live bullets span far less:
/// the shots of one bullet lifetime).
const MAX_SPAN: u32 = 1 << 16;

impl IdIndex {
    /// Indexes `ids` (increasing, wrapping; allocations are reused).
    pub fn rebuild(&mut self, ids: impl ExactSizeIterator<Item = u32> + Clone) {
        self.at.clear();
        let mut all = ids.clone();
        let (Some(first), len) = (all.next(), ids.len()) else {
            self.sparse = false;
            return;
        };
        let span = all.last().unwrap_or(first).wrapping_sub(first).wrapping_add(1);
        self.first = first;
        self.sparse = span > MAX_SPAN || span < len as u32;
        if self.sparse {
            return;
        }
        self.at.resize(span as usize, ABSENT);
        for (i, id) in ids.enumerate() {
            if let Some(slot) = self.at.get_mut(id.wrapping_sub(first) as usize) {
                *slot = i as u32;
            }
        }
    }

    /// Where `id` is: `Some(Some(i))` at index `i`, `Some(None)` not in the list, `None`
    /// when the index cannot tell (the ids were too spread out; search the list instead).
    pub fn get(&self, id: u32) -> Option<Option<usize>> {
        if self.sparse {
            return None;
        }
        let at = self.at.get(id.wrapping_sub(self.first) as usize).copied().unwrap_or(ABSENT);
        Some((at != ABSENT).then_some(at as usize))
    }
}

impl IdIndex {
    /// The table itself, when built: the first id, and per id from it the index of the id
    /// in the list (or an index past its end, for none).
    pub fn table(&self) -> Option<(u32, &[u32])> {
        (!self.sparse).then_some((self.first, &self.at))
    }
}

/// The index of the item with id `id` in `list` (sorted by id), through `index` when it
/// can tell.
pub(super) fn find<T>(index: Option<&IdIndex>, list: &[T], id: u32, key: impl Fn(&T) -> u32) -> Option<usize> {
    match index.and_then(|index| index.get(id)) {
        Some(found) => found,
        None => list.binary_search_by_key(&id, key).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ids: &[u32]) {
        let mut index = IdIndex::default();
        index.rebuild(ids.iter().copied());
        let probes = ids.iter().flat_map(|&id| [id, id.wrapping_add(1), id.wrapping_sub(1)]).chain([0, 7, u32::MAX]);
        for probe in probes {
            let expected = ids.iter().position(|&id| id == probe);
            assert_eq!(find(Some(&index), ids, probe, |&id| id), expected, "{probe} in {ids:?}");
        }
    }

    #[test]
    fn finds_every_id_and_nothing_else() {
        check(&[]);
        check(&[5]);
        check(&[3, 4, 9, 10, 200]);
        check(&[u32::MAX - 1, u32::MAX, 0, 1]); // across the wrap
        check(&[0, 1 << 20]); // too spread for a table: searched
    }
}
