/* Open MPI's MPI_Allreduce on float32, the reference for ddp4j's tcp all-reduce benchmark.
 * Bus bandwidth as nccl-tests defines it: algbw = bytes / time, busbw = algbw * 2 (n - 1) / n.
 *   mpicc -O2 -o /tmp/mpi_allreduce_bw benchmarks/native/mpi_allreduce_bw.c
 *   mpirun --oversubscribe -np 4 /tmp/mpi_allreduce_bw [max_bytes]
 * Prints one JSON line per size from rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long max_bytes = argc > 1 ? atol(argv[1]) : 256L << 20;
  float* send = malloc(max_bytes);
  float* recv = malloc(max_bytes);
  if (!send || !recv) { fprintf(stderr, "rank %d: cannot allocate %ld bytes\n", rank, max_bytes); MPI_Abort(MPI_COMM_WORLD, 1); }
  for (long i = 0; i < max_bytes / 4; i++) send[i] = (float)(rank + 1);
  for (long bytes = 4096; bytes <= max_bytes; bytes *= 4) {
    int count = (int)(bytes / 4);
    int iters = bytes <= (64 << 10) ? 2000 : bytes <= (1 << 20) ? 200 : bytes <= (16 << 20) ? 20 : 5;
    for (int w = 0; w < 3; w++) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double t = (MPI_Wtime() - t0) / iters, worst;
    MPI_Reduce(&t, &worst, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (recv[count - 1] != size * (size + 1) / 2.0f) { fprintf(stderr, "wrong sum at %ld bytes\n", bytes); MPI_Abort(MPI_COMM_WORLD, 2); }
    if (rank == 0) {
      double algbw = bytes / worst / 1e9;
      printf("{\"impl\": \"openmpi\", \"ranks\": %d, \"bytes\": %ld, \"us\": %.1f, \"algbw_GBps\": %.3f, \"busbw_GBps\": %.3f}\n",
             size, bytes, worst * 1e6, algbw, algbw * 2.0 * (size - 1) / size);
      fflush(stdout);
    }
  }
  free(send); free(recv);
  MPI_Finalize();
  return 0;
}
