namespace SpanRecovery.Validation;

/// <summary>The rules one span broke, as a bit set: a span counts at most once per rule.</summary>
internal struct RuleSet
{
    private uint _bits;

    public RuleSet(uint bits) => _bits = bits;

    /// <summary>The set as bits, one per <see cref="Rule"/> value (what <see cref="PendingSpan.Rules"/> carries).</summary>
    public readonly uint Bits => _bits;

    public readonly bool IsEmpty => _bits == 0;

    public readonly bool HasError
    {
        get
        {
            foreach (var rule in this)
            {
                if (rule.Severity() == Severity.Error)
                    return true;
            }

            return false;
        }
    }

    public void Add(Rule rule) => _bits |= 1u << (int)rule;

    public readonly bool Contains(Rule rule) => (_bits & (1u << (int)rule)) != 0;

    public readonly Enumerator GetEnumerator() => new(_bits);

    internal struct Enumerator(uint bits)
    {
        private uint _remaining = bits;

        public Rule Current { get; private set; }

        public bool MoveNext()
        {
            if (_remaining == 0)
                return false;
            Current = (Rule)System.Numerics.BitOperations.TrailingZeroCount(_remaining);
            _remaining &= _remaining - 1;
            return true;
        }
    }
}
