package io.sparkgan.train;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015, Algorithm 1) on a flat
 * parameter vector, in the arrangement PyTorch uses (bias corrections folded into the step size and
 * the denominator), so that hyper-parameters carry over from the DCGAN literature unchanged.
 */
public final class Adam implements java.io.Serializable {
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final float[] m;
    private final float[] v;
    private long t;

    public Adam(int size, double learningRate, double beta1, double beta2, double epsilon) {
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.m = new float[size];
        this.v = new float[size];
    }

    /** An independent copy: same hyper-parameters, moments and step count. */
    public Adam copy() {
        Adam copy = new Adam(m.length, learningRate, beta1, beta2, epsilon);
        copy.restore(m, v, t);
        return copy;
    }

    /** One update of {@code params} in place with the (mean) gradient {@code gradient}. */
    public void step(float[] params, float[] gradient) {
        t++;
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        double correction1 = 1 - Math.pow(beta1, t);
        double correction2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (learningRate / correction1);
        float sqrtCorrection2 = (float) Math.sqrt(correction2);
        float eps = (float) epsilon;
        for (int i = 0; i < params.length; i++) {
            float g = gradient[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            params[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / sqrtCorrection2 + eps);
        }
    }

    public float[] firstMoment() {
        return m;
    }

    public float[] secondMoment() {
        return v;
    }

    public long steps() {
        return t;
    }

    /** Restores the state saved in a checkpoint. */
    public void restore(float[] firstMoment, float[] secondMoment, long steps) {
        System.arraycopy(firstMoment, 0, m, 0, m.length);
        System.arraycopy(secondMoment, 0, v, 0, v.length);
        t = steps;
    }
}
