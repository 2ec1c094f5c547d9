package io.ddp4j.tensor.backend;

/** Reductions over a set of dims; the output keeps the reduced dims with size 1. */
public enum ReduceOp { SUM, MEAN, MAX, MIN }
