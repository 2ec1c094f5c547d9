package io.ddp4j.tensor.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SamplerTest {

    private static int[] sorted(int[] a) {
        int[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    @Test
    void sequentialSamplerCountsUp() {
        assertArrayEquals(new int[]{0, 1, 2, 3}, new SequentialSampler(4).indices());
    }

    @Test
    void randomSamplerIsAPermutationFixedBySeedAndEpoch() {
        RandomSampler a = new RandomSampler(1000, 42), b = new RandomSampler(1000, 42);
        int[] first = a.indices();
        assertArrayEquals(IntStream.range(0, 1000).toArray(), sorted(first), "every index exactly once");
        assertArrayEquals(first, b.indices(), "same seed and epoch, same order");
        assertArrayEquals(first, a.indices(), "asking again gives the same order");
        a.setEpoch(1);
        assertFalse(Arrays.equals(first, a.indices()), "another epoch, another order");
        assertFalse(Arrays.equals(first, new RandomSampler(1000, 43).indices()), "another seed, another order");
        assertFalse(Arrays.equals(IntStream.range(0, 1000).toArray(), first), "actually shuffled");
    }

    @Test
    void shuffledPositionsAreUniform() {
        // where index 0 lands over many epochs: each of 10 slots about equally often
        int[] counts = new int[10];
        RandomSampler s = new RandomSampler(10, 7);
        for (int e = 0; e < 10_000; e++) {
            s.setEpoch(e);
            int[] p = s.indices();
            for (int k = 0; k < 10; k++) if (p[k] == 0) counts[k]++;
        }
        for (int c : counts) assertEquals(1000, c, 150, Arrays.toString(counts));
    }

    @Test
    void batchSamplerKeepsOrDropsTheShortLastBatch() {
        List<int[]> keep = new BatchSampler(new SequentialSampler(7), 3, false).batches();
        assertEquals(3, keep.size());
        assertArrayEquals(new int[]{6}, keep.get(2));
        List<int[]> drop = new BatchSampler(new SequentialSampler(7), 3, true).batches();
        assertEquals(2, drop.size());
        assertArrayEquals(new int[]{3, 4, 5}, drop.get(1));
        assertEquals(2, new BatchSampler(new SequentialSampler(6), 3, true).size());
    }

    @Test
    void distributedSamplerPadsSoEveryRankGetsTheSameCount() {
        int n = 10, world = 3;
        Set<Integer> union = new HashSet<>();
        int total = 0;
        int[][] shares = new int[world][];
        for (int r = 0; r < world; r++) {
            DistributedSampler s = new DistributedSampler(n, world, r, true, 5, false);
            s.setEpoch(2);
            shares[r] = s.indices();
            assertEquals(4, shares[r].length, "ceil(10 / 3)");
            assertEquals(4, s.size());
            for (int i : shares[r]) union.add(i);
            total += shares[r].length;
        }
        assertEquals(12, total);
        assertEquals(10, union.size(), "the ranks together cover the data set");
        // interleaving the shares rebuilds the padded order: the epoch's permutation then its first 2 again
        int[] padded = new int[12];
        for (int k = 0; k < 12; k++) padded[k] = shares[k % world][k / world];
        assertArrayEquals(Arrays.copyOfRange(padded, 0, 2), Arrays.copyOfRange(padded, 10, 12));
        assertArrayEquals(IntStream.range(0, 10).toArray(), sorted(Arrays.copyOf(padded, 10)), "no repeats before the padding");
    }

    @Test
    void distributedSamplerWithDropLastCutsTheTailAndIsDisjoint() {
        Set<Integer> seen = new HashSet<>();
        for (int r = 0; r < 3; r++) {
            int[] share = new DistributedSampler(10, 3, r, true, 0, true).indices();
            assertEquals(3, share.length, "floor(10 / 3)");
            for (int i : share) assertEquals(true, seen.add(i), "index " + i + " given to two ranks");
        }
        assertEquals(9, seen.size());
    }

    @Test
    void distributedSamplerWithoutShuffleStridesByRank() {
        assertArrayEquals(new int[]{1, 4, 7, 0}, new DistributedSampler(10, 3, 1, false, 0, false).indices());
        assertArrayEquals(new int[]{2, 5, 8, 1}, new DistributedSampler(10, 3, 2, false, 0, false).indices());
    }

    @Test
    void distributedSamplerOrderDependsOnEpochAndSeedButNotOnWhoAsks() {
        DistributedSampler a = new DistributedSampler(100, 4, 0), b = new DistributedSampler(100, 4, 0);
        assertArrayEquals(a.indices(), b.indices());
        int[] epoch0 = a.indices();
        a.setEpoch(1);
        assertFalse(Arrays.equals(epoch0, a.indices()));
        assertFalse(Arrays.equals(epoch0, new DistributedSampler(100, 4, 0, true, 1, false).indices()));
        // the rank's share of epoch 0 equals slicing the plain shuffled order
        int[] perm = new RandomSampler(100, 0).indices();
        int[] expected = new int[25];
        for (int i = 0; i < 25; i++) expected[i] = perm[i * 4];
        assertArrayEquals(expected, epoch0);
    }

    @Test
    void distributedSamplerRefusesABadRank() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(10, 2, 2));
        assertEquals("DistributedSampler: invalid rank 2, rank should be in the interval [0, 1]", e.getMessage());
    }
}
