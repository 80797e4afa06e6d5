package io.sparkgan;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/** An in-process HDFS (a MiniDFSCluster): one NameNode and one DataNode on loopback, storage under a folder. */
public final class TestHdfs {
    private TestHdfs() {
    }

    /**
     * Starts one, replication 1; {@code blockSize} &gt; 0 sets the block size its own clients write
     * with (a space quota charges a whole block to every file being written).
     */
    public static MiniDFSCluster start(Path storage, long blockSize) throws IOException {
        // the NameNode's and DataNode's start-up chatter; the commands' logs stay at their levels
        Configurator.setLevel("org.apache.hadoop.hdfs.server", Level.ERROR);
        Configurator.setLevel("org.apache.hadoop.http", Level.ERROR);
        Configurator.setLevel("org.apache.hadoop.security.authentication", Level.ERROR);
        Configurator.setLevel("org.apache.hadoop.metrics2", Level.ERROR);
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, storage.toString());
        conf.setInt("dfs.replication", 1);
        if (blockSize > 0) {
            conf.setLong("dfs.blocksize", blockSize);
        }
        conf.setInt("dfs.heartbeat.interval", 1);
        conf.setInt("dfs.namenode.heartbeat.recheck-interval", 2000);
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).storagesPerDatanode(1).build();
        cluster.waitActive();
        return cluster;
    }
}
