using Microsoft.ML.Runtime;

namespace MLNetExt.Numerics;

/// <summary>
/// Resolves a component's seed once, when its estimator is constructed: the <c>Seed</c> option when it is set, else a
/// number drawn from the <c>MLContext</c>'s random generator, exactly as ML.NET's LightGBM trainers do. So
/// <c>new MLContext(seed: 1)</c> gives the same seeds every time the same estimators are created in the same order,
/// <c>new MLContext()</c> gives different seeds on every run, and the seed never depends on when or how often
/// <c>Fit</c> runs.
/// </summary>
/// <remarks>
/// How ML.NET derives a trainer's randomness from the context (dotnet/machinelearning, read at commit cd2fbd6):
/// <c>new MLContext(seed)</c> creates a <c>LocalEnvironment</c> whose generator is <c>RandomUtils.Create(seed)</c>, a
/// <c>TauswortheHybrid</c> whose state is the seed and three Murmur rounds of it (with no seed, it is seeded from
/// <c>new System.Random()</c>). The catalogs hold that environment itself. A trainer's constructor calls
/// <c>env.Register(name)</c> (<c>HostEnvironmentBase.Register</c>), which gives the new host its own
/// <c>TauswortheHybrid</c> seeded by eight (rarely more) <c>Next(65536)</c> draws from the context's generator, so every
/// registration advances the context's sequence. LightGBM (<c>LightGbmTrainerBase</c>'s constructor, through
/// <c>Options.ToDictionary(Host)</c>) then takes <c>seed = Options.Seed ?? Host.Rand.Next()</c>; SDCA and the online
/// linear trainers draw from <c>Host.Rand</c> during training instead; FastTree ignores the context (its
/// <c>Seed</c> option defaults to 123). This class does what LightGBM does: it registers a host whether or not the
/// option is set (so an explicit seed on one estimator does not shift the seeds of the estimators created after it)
/// and draws <c>Rand.Next()</c> from it when the option is null.
/// </remarks>
internal static class SeedResolver
{
    /// <param name="env">The catalog's environment (<c>MLNetBridge.GetEnvironment(catalog)</c>) or the <c>MLContext</c>.</param>
    /// <param name="optionsSeed">The component's <c>Seed</c> option; null takes one from the context.</param>
    /// <param name="componentName">The name the host is registered under (it tags log lines, and does not change the seed).</param>
    /// <returns>The seed: the option, or a draw from the context in [0, int.MaxValue].</returns>
    public static int Resolve(IHostEnvironment env, int? optionsSeed, string componentName)
    {
        Guard.NotNull(env, nameof(env));
        IHost host = env.Register(componentName);
        return optionsSeed ?? host.Rand.Next();
    }
}
