//! Orders for timing routines in turns without favouring one: a call leaves the caches, the
//! allocator and the loopback server's threads in a state that the next call pays for or gains
//! from, so a routine that always follows the same other one is measured after it. Rotating the
//! start each round does not cure it: with three routines rotated, each follows one particular
//! other in two rounds of three (on this machine, following `huskarl` cost a fetch about 1 %,
//! enough to make two identical grantwire clients differ by 0.3–0.5 %).

/// Every ordering of `0..n` once, chained so that each starts with the routine the one before
/// ended with (and the first with the routine the last ends with). Taken in turn, round after
/// round, every routine runs at every position equally often, directly after every other
/// routine equally often, and directly after itself equally often: what one routine's call
/// leaves behind falls on all of them alike.
///
/// `n` from 1 to 4 (4! = 24 orders; found by a depth-first search).
pub fn balanced(n: usize) -> Vec<Vec<usize>> {
    assert!((1..=4).contains(&n), "1 to 4 routines, not {n}");
    let all = permutations(n);
    let mut used = vec![false; all.len()];
    let mut chain = vec![0];
    used[0] = true;
    assert!(extend(&all, &mut used, &mut chain), "no chain of orders");
    chain.into_iter().map(|i| all[i].clone()).collect()
}

/// Depth-first: appends orders that start with the last one's last routine until all are used
/// and the last leads back to the first.
fn extend(all: &[Vec<usize>], used: &mut [bool], chain: &mut Vec<usize>) -> bool {
    let last = *all[chain[chain.len() - 1]].last().expect("non-empty");
    if chain.len() == all.len() {
        return all[chain[0]][0] == last;
    }
    for i in 0..all.len() {
        if !used[i] && all[i][0] == last {
            used[i] = true;
            chain.push(i);
            if extend(all, used, chain) {
                return true;
            }
            chain.pop();
            used[i] = false;
        }
    }
    false
}

/// All orderings of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for first in 0..n {
        for rest in permutations(n - 1) {
            let mut p = vec![first];
            p.extend(rest.into_iter().map(|r| if r >= first { r + 1 } else { r }));
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How often routine `b` ran directly after routine `a` (`[a][b]`), over the rounds taken
    /// in turn and cyclically, and how often each routine ran at each position.
    fn counts(rounds: &[Vec<usize>], n: usize) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let sequence: Vec<usize> = rounds.iter().flatten().copied().collect();
        let mut after = vec![vec![0; n]; n];
        for (i, &b) in sequence.iter().enumerate() {
            let a = sequence[(i + sequence.len() - 1) % sequence.len()];
            after[a][b] += 1;
        }
        let mut position = vec![vec![0; n]; n];
        for round in rounds {
            for (pos, &r) in round.iter().enumerate() {
                position[r][pos] += 1;
            }
        }
        (after, position)
    }

    /// Every routine follows every other equally often, itself equally often, and takes every
    /// position equally often.
    fn is_balanced(rounds: &[Vec<usize>], n: usize) -> bool {
        let (after, position) = counts(rounds, n);
        let other = if n > 1 { after[1][0] } else { 0 };
        let own = after[0][0];
        (0..n).all(|a| (0..n).all(|b| after[a][b] == if a == b { own } else { other }))
            && position.iter().flatten().all(|&c| c == position[0][0])
    }

    #[test]
    fn every_order_once_chained_and_balanced() {
        for n in 1..=4 {
            let rounds = balanced(n);
            let mut sorted = rounds.clone();
            sorted.sort();
            assert_eq!(sorted, permutations(n), "n = {n}");
            for (i, round) in rounds.iter().enumerate() {
                let next = &rounds[(i + 1) % rounds.len()];
                assert_eq!(round.last(), next.first(), "n = {n}, round {i}");
            }
            assert!(is_balanced(&rounds, n), "n = {n}");
        }
    }

    /// The rotation the token-client bench used before: three routines, the start moving on by
    /// one each round. Each routine follows one particular other in two rounds of three.
    #[test]
    fn rotation_is_not_balanced() {
        let rotation: Vec<Vec<usize>> = (0..3)
            .map(|round| (0..3).map(|k| (round + k) % 3).collect())
            .collect();
        assert!(!is_balanced(&rotation, 3));
        let (after, _) = counts(&rotation, 3);
        // Routine 0 ran after routine 2 twice and after routine 1 once.
        assert_eq!((after[2][0], after[1][0]), (2, 1));
    }
}
