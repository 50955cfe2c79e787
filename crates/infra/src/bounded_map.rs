//! The one shape of every memory a node keeps of what it read (sessions,
//! user rows, checked tokens): a map with a bound on its entries that, when
//! full, forgets what was least recently used instead of everything.
//!
//! It holds two generations. New entries go into the recent one; an entry
//! found in the older one moves into the recent one. When the recent one
//! holds half the bound, the older one is dropped whole (its memory goes
//! back to the allocator at once) and the recent one becomes the older. So
//! at most `bound` entries are held, every entry used since the last turn
//! is kept, and a working set of up to half the bound is never forgotten.
//! A turn is the only way entries leave without being removed: callers
//! whose rules depend on what was forgotten (the sessions' epoch) learn of
//! it from [`insert`](BoundedMap::insert)'s answer.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct BoundedMap<K, V> {
    recent: HashMap<K, V>,
    older: HashMap<K, V>,
    bound: usize,
}

/// Whether an insert made room by forgetting the older generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Turned {
    No,
    Yes,
}

impl<K: Eq + Hash, V> BoundedMap<K, V> {
    /// At most `bound` entries; 0 holds none.
    pub fn new(bound: usize) -> Self {
        Self { recent: HashMap::new(), older: HashMap::new(), bound }
    }

    /// What `read` makes of the value under `key`, the value moved into the
    /// recent generation if it was in the older one. A hit in the recent
    /// generation hashes the key once.
    pub fn get<Q, R>(&mut self, key: &Q, read: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(v) = self.recent.get_mut(key) {
            return Some(read(v));
        }
        let (k, v) = self.older.remove_entry(key)?;
        if self.older.is_empty() {
            self.older = HashMap::new(); // every entry moved: give its table back
        }
        // Moving cannot need a turn: the entry was already counted.
        Some(read(self.recent.entry(k).or_insert(v)))
    }

    /// Puts `value` under `key`, turning the generations first when the
    /// recent one is full.
    pub fn insert(&mut self, key: K, value: V) -> Turned {
        if self.bound == 0 {
            return Turned::No;
        }
        if let Some(slot) = self.recent.get_mut(&key) {
            *slot = value;
            return Turned::No;
        }
        self.older.remove(&key);
        let turned = if self.recent.len() >= self.half() {
            self.older = std::mem::take(&mut self.recent);
            Turned::Yes
        } else {
            Turned::No
        };
        self.recent.insert(key, value);
        turned
    }

    fn half(&self) -> usize {
        self.bound.div_ceil(2)
    }

    pub fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.recent.remove(key);
        self.older.remove(key);
    }

    /// Every entry, to change in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.recent.iter_mut().chain(self.older.iter_mut())
    }

    /// Forgets every entry and gives the memory back.
    pub fn clear(&mut self) {
        self.recent = HashMap::new();
        self.older = HashMap::new();
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.recent.len() + self.older.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_memory_forgets_the_least_recently_used_half_not_everything() {
        let mut m = BoundedMap::new(4);
        for k in 0..2 {
            assert_eq!(m.insert(k, k), Turned::No);
        }
        assert_eq!(m.insert(2, 2), Turned::Yes, "the recent half was full: 0 and 1 became the older");
        assert_eq!(m.get(&0, |v| *v), Some(0), "found in the older half: moved to the recent");
        assert_eq!(m.insert(3, 3), Turned::Yes);
        assert_eq!(m.get(&1, |v| *v), None, "1 was not used since the first turn: forgotten");
        for k in [0, 2, 3] {
            assert!(m.get(&k, |_| ()).is_some(), "{k} kept");
        }
    }

    #[test]
    fn the_memory_never_holds_more_than_its_bound() {
        let mut m = BoundedMap::new(10);
        for k in 0..100 {
            let _ = m.insert(k, k);
            let _ = m.get(&(k / 2), |_| ());
            assert!(m.len() <= 10, "{} entries", m.len());
        }
    }

    #[test]
    fn a_working_set_of_half_the_bound_is_never_forgotten() {
        let mut m = BoundedMap::new(1000);
        for round in 0..10 {
            for k in 0..500 {
                if m.get(&k, |_| ()).is_none() {
                    assert_eq!(round, 0, "{k} forgotten in round {round}");
                    let _ = m.insert(k, ());
                }
            }
        }
        assert_eq!(m.len(), 500);
    }

    #[test]
    fn a_bound_of_zero_holds_nothing() {
        let mut m = BoundedMap::new(0);
        assert_eq!(m.insert(1, 1), Turned::No);
        assert!(m.is_empty());
    }
}
