package io.ddp4j.ddp.env;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ClusterEnvironmentsTest {

    static void assertProcess(ClusterInfo i, String env, int rank, int world, int localRank, int localWorld, int nodeRank, int nodes,
                              String addr, int port) {
        assertEquals(new ClusterInfo(env, rank, world, localRank, localWorld, nodeRank, nodes, addr, port), i);
        assertTrue(i.perProcess());
    }

    @Nested
    class Torchrun {
        @Test
        void readsTheLaunchersVariables() {
            var env = Map.of("RANK", "5", "WORLD_SIZE", "8", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "4", "GROUP_RANK", "1",
                    "MASTER_ADDR", "10.1.2.3", "MASTER_PORT", "29400");
            assertProcess(ClusterEnvironments.detect(env), "torchrun", 5, 8, 1, 4, 1, 2, "10.1.2.3", 29400);
        }

        @Test
        void aLaunchedWorkerInsideSlurmIsReadFromTheLaunchersVariables() {
            var env = Map.of("DDP4J_LAUNCHER", "1", "RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "3", "LOCAL_WORLD_SIZE", "4",
                    "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "1234", "SLURM_PROCID", "0", "SLURM_NTASKS", "1");
            assertEquals("torchrun", ClusterEnvironments.detect(env).environment());
            assertEquals(3, ClusterEnvironments.detect(env).rank());
        }

        @Test
        void aMultiRankJobWithoutMasterAddrIsAClearError() {
            var e = assertThrows(IllegalArgumentException.class, () -> ClusterEnvironments.detect(Map.of("RANK", "1", "WORLD_SIZE", "2")));
            assertTrue(e.getMessage().contains("MASTER_ADDR"), e.getMessage());
        }

        @Test
        void aRankOutsideTheWorldIsRejected() {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> ClusterEnvironments.detect(Map.of("RANK", "4", "WORLD_SIZE", "4", "MASTER_ADDR", "h")));
            assertTrue(e.getMessage().contains("rank 4 is outside 0..3"), e.getMessage());
        }

        @Test
        void aNonNumberNamesTheVariable() {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> ClusterEnvironments.detect(Map.of("RANK", "one", "WORLD_SIZE", "4", "MASTER_ADDR", "h")));
            assertTrue(e.getMessage().contains("RANK='one'"), e.getMessage());
        }
    }

    @Nested
    class Slurm {
        @Test
        void readsTasksAndTheFirstHostOfTheCompressedNodeList() {
            var env = Map.of("SLURM_PROCID", "6", "SLURM_NTASKS", "8", "SLURM_LOCALID", "2", "SLURM_NODEID", "1", "SLURM_NNODES", "2",
                    "SLURM_NTASKS_PER_NODE", "4", "SLURM_JOB_NODELIST", "node[01-04,07],gpu5", "SLURM_JOB_ID", "123456");
            assertProcess(ClusterEnvironments.detect(env), "slurm", 6, 8, 2, 4, 1, 2, "node01", 29500 + 456);
        }

        @Test
        void masterAddrAndPortOverrideTheNodeList() {
            var env = Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_NNODES", "2", "SLURM_TASKS_PER_NODE", "1(x2)",
                    "SLURM_JOB_NODELIST", "n[1-2]", "MASTER_ADDR", "10.0.0.9", "MASTER_PORT", "4000");
            ClusterInfo i = ClusterEnvironments.detect(env);
            assertEquals("10.0.0.9", i.masterAddr());
            assertEquals(4000, i.masterPort());
            assertEquals(1, i.localWorldSize());
        }
    }

    @Nested
    class OpenMpi {
        @Test
        void readsTheCommWorldVariables() {
            var env = Map.of("OMPI_COMM_WORLD_RANK", "5", "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK", "1",
                    "OMPI_COMM_WORLD_LOCAL_SIZE", "4", "MASTER_ADDR", "head", "MASTER_PORT", "6000");
            assertProcess(ClusterEnvironments.detect(env), "openmpi", 5, 8, 1, 4, 1, 2, "head", 6000);
        }

        @Test
        void oneNodeNeedsNoMasterAddr() {
            var env = Map.of("OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_LOCAL_RANK", "1",
                    "OMPI_COMM_WORLD_LOCAL_SIZE", "2");
            assertEquals("127.0.0.1", ClusterEnvironments.detect(env).masterAddr());
        }

        @Test
        void severalNodesWithoutMasterAddrSayHowToPassIt() {
            var env = Map.of("OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_SIZE", "4");
            var e = assertThrows(IllegalArgumentException.class, () -> ClusterEnvironments.detect(env));
            assertTrue(e.getMessage().contains("mpirun -x MASTER_ADDR"), e.getMessage());
        }
    }

    @Nested
    class Kubeflow {
        @Test
        void onePodPerRankUsesTheInjectedVariables() {
            var env = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "MASTER_ADDR", "job-master-0", "MASTER_PORT", "23456",
                    "RANK", "2", "WORLD_SIZE", "3");
            assertProcess(ClusterEnvironments.detect(env), "kubeflow", 2, 3, 0, 1, 2, 3, "job-master-0", 23456);
        }

        @Test
        void nprocPerNodeMakesEachPodANodeForTheLauncher() {
            var env = Map.of("PET_NNODES", "2", "PET_NPROC_PER_NODE", "4", "PET_NODE_RANK", "1", "PET_MASTER_ADDR", "job-master-0",
                    "PET_MASTER_PORT", "23456", "MASTER_ADDR", "job-master-0", "RANK", "1", "WORLD_SIZE", "2");
            ClusterInfo i = ClusterEnvironments.detect(env);
            assertEquals(ClusterInfo.perNode("kubeflow", 1, 2, 4, "job-master-0", 23456), i);
            assertFalse(i.perProcess());
        }
    }

    @Nested
    class SageMaker {
        @Test
        void severalGpusPerHostDescribeANode() {
            var env = Map.of("SM_HOSTS", "[\"algo-1\", \"algo-2\", \"algo-3\"]", "SM_CURRENT_HOST", "algo-2", "SM_NUM_GPUS", "8");
            assertEquals(ClusterInfo.perNode("sagemaker", 1, 3, 8, "algo-1", 29500), ClusterEnvironments.detect(env));
        }

        @Test
        void oneGpuPerHostMakesTheHostTheRank() {
            var env = Map.of("SM_HOSTS", "[\"algo-1\",\"algo-2\"]", "SM_CURRENT_HOST", "algo-2", "SM_NUM_GPUS", "1");
            assertProcess(ClusterEnvironments.detect(env), "sagemaker", 1, 2, 0, 1, 1, 2, "algo-1", 29500);
        }

        @Test
        void aCurrentHostMissingFromTheListIsAnError() {
            var env = Map.of("SM_HOSTS", "[\"algo-1\"]", "SM_CURRENT_HOST", "algo-9");
            var e = assertThrows(IllegalArgumentException.class, () -> ClusterEnvironments.detect(env));
            assertTrue(e.getMessage().contains("algo-9"), e.getMessage());
        }

        @Test
        void aBrokenHostListIsAnError() {
            assertThrows(IllegalArgumentException.class, () -> SageMakerEnvironment.parseJsonStringList("algo-1,algo-2"));
            assertThrows(IllegalArgumentException.class, () -> SageMakerEnvironment.parseJsonStringList("[algo-1]"));
        }
    }

    @Nested
    class AzureMl {
        @Test
        void pytorchDistributionSetsTorchStyleVariables() {
            var env = Map.of("AZUREML_RUN_ID", "run-1", "AZUREML_NODE_COUNT", "2", "MASTER_ADDR", "10.0.0.4", "MASTER_PORT", "6105",
                    "WORLD_SIZE", "8", "RANK", "6", "LOCAL_RANK", "2", "NODE_RANK", "1");
            assertProcess(ClusterEnvironments.detect(env), "azureml", 6, 8, 2, 4, 1, 2, "10.0.0.4", 6105);
        }

        @Test
        void mpiDistributionReadsOpenMpiAndTheMasterNodeWithPort() {
            var env = Map.of("AZ_BATCH_MASTER_NODE", "10.0.0.4:6105", "OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "4",
                    "OMPI_COMM_WORLD_LOCAL_RANK", "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "2");
            assertProcess(ClusterEnvironments.detect(env), "azureml", 3, 4, 1, 2, 1, 2, "10.0.0.4", 6105);
        }

        @Test
        void theOlderMasterNodeVariableWithoutPortUsesTheDefaultPort() {
            var env = Map.of("AZ_BATCHAI_MPI_MASTER_NODE", "10.0.0.5", "OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "2",
                    "OMPI_COMM_WORLD_LOCAL_SIZE", "1");
            ClusterInfo i = ClusterEnvironments.detect(env);
            assertEquals("10.0.0.5", i.masterAddr());
            assertEquals(29500, i.masterPort());
        }
    }

    @Test
    void nothingSetMeansASingleProcessOnAFreeLoopbackPort() {
        assertProcess(ClusterEnvironments.detect(Map.of("HOME", "/root")), "single-process", 0, 1, 0, 1, 0, 1, "127.0.0.1", 0);
    }

    @Test
    void everyEnvironmentHasADistinctName() {
        assertEquals(ClusterEnvironments.all().size(), ClusterEnvironments.all().stream().map(ClusterEnvironment::name).distinct().count());
    }
}
