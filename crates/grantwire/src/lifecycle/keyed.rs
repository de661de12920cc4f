//! [`TokenLifecycles`]: one machine per [`LifecycleKey`].

use std::collections::HashMap;
use std::time::Instant;

use super::machine::TokenLifecycle;
use crate::secret::ClientId;
use crate::Scope;

/// A key for which at most one request is in flight: the client, the scope set and the
/// audiences/resources (single flight per key).
///
/// Two keys are equal when they name the same client, the same set of scope tokens (in any
/// order) and the same set of audiences.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LifecycleKey {
    client_id: Option<ClientId>,
    scope: Vec<String>,
    audiences: Vec<String>,
}

impl LifecycleKey {
    /// The key of a client, a scope and audiences or resource indicators.
    pub fn new<'a>(
        client_id: Option<&ClientId>,
        scope: Option<&Scope>,
        audiences: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut scope: Vec<String> = scope
            .map(|s| s.iter().map(str::to_owned).collect())
            .unwrap_or_default();
        scope.sort_unstable();
        scope.dedup();
        let mut audiences: Vec<String> = audiences.into_iter().map(str::to_owned).collect();
        audiences.sort_unstable();
        audiences.dedup();
        Self {
            client_id: client_id.cloned(),
            scope,
            audiences,
        }
    }
}

/// Several [`TokenLifecycle`]s, one per [`LifecycleKey`]: single flight holds per key however
/// many callers ask, and a [`KeyId`] reaches a machine without hashing on the hot path.
#[derive(Debug, Default)]
pub struct TokenLifecycles {
    keys: HashMap<LifecycleKey, KeyId>,
    machines: Vec<TokenLifecycle>,
}

/// A handle to one machine of a [`TokenLifecycles`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(usize);

impl TokenLifecycles {
    /// No machines.
    pub fn new() -> Self {
        Self::default()
    }

    /// The machine for `key`, created by `make` when there is none yet.
    pub fn get_or_insert_with(
        &mut self,
        key: LifecycleKey,
        make: impl FnOnce() -> TokenLifecycle,
    ) -> KeyId {
        if let Some(id) = self.keys.get(&key) {
            return *id;
        }
        let id = KeyId(self.machines.len());
        self.machines.push(make());
        self.keys.insert(key, id);
        id
    }

    /// The handle of `key`, if it has a machine.
    pub fn find(&self, key: &LifecycleKey) -> Option<KeyId> {
        self.keys.get(key).copied()
    }

    /// The machine behind `id`.
    pub fn get_mut(&mut self, id: KeyId) -> Option<&mut TokenLifecycle> {
        self.machines.get_mut(id.0)
    }

    /// The machine behind `id`.
    pub fn get(&self, id: KeyId) -> Option<&TokenLifecycle> {
        self.machines.get(id.0)
    }

    /// The earliest [`TokenLifecycle::poll_timeout`] of all machines.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.machines.iter().filter_map(|m| m.poll_timeout()).min()
    }

    /// [`TokenLifecycle::handle_timeout`] on every machine.
    pub fn handle_timeout(&mut self, now: Instant) {
        for m in &mut self.machines {
            m.handle_timeout(now);
        }
    }

    /// Number of machines.
    pub fn len(&self) -> usize {
        self.machines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.machines.is_empty()
    }
}
