#!/usr/bin/perl
# Deterministic, allocation-heavy perl program for perl.sh: hashes, arrays of hashes, regexes,
# string building, sort and sprintf. Its own generator and sorted keys keep the output
# independent of perl's per-process hash seed.
use strict;
use warnings;

my $seed = 12345;
sub rnd { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed >> 8; }

my (%count, @words);
for (1 .. 100000) {
    my $w = join '', map { chr(97 + rnd() % 26) } 1 .. 3 + rnd() % 6;
    push @words, $w;
    $count{$w}++;
}
print "distinct words: ", scalar(keys %count), "\n";
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 9];
printf "%-10s %d\n", $_, $count{$_} for @top;

my @records = map { { id => $_, name => sprintf('user%05d', rnd() % 50000), score => rnd() % 1000 / 10 } }
    1 .. 50000;
my @ranked = sort { $b->{score} <=> $a->{score} || $a->{name} cmp $b->{name} || $a->{id} <=> $b->{id} }
    @records;
printf "%6d %s %5.1f\n", @{$_}{qw(id name score)} for @ranked[0 .. 4], @ranked[-3 .. -1];

my $text = join ' ', @words[0 .. 19999];
my @vowel_pairs = $text =~ /\b([a-z]*[aeiou]{2}[a-z]*)\b/g;
(my $shouted = $text) =~ s/([aeiou])/uc $1/ge;
my %initials;
$initials{ substr $_, 0, 1 }++ for @words;
print "words with a vowel pair: ", scalar(@vowel_pairs), "\n";
print "upper-cased vowels: ", ($shouted =~ tr/AEIOU//), "\n";
print join(',', map { "$_=$initials{$_}" } sort keys %initials), "\n";

my $built = '';
$built .= sprintf('%x:', $_ * 7) for 1 .. 50000;
my @parts = split /:/, $built;
print "parts: ", scalar(@parts), " length: ", length($built), " last: $parts[-1]\n";

my %by_length;
push @{ $by_length{ length $_ }{ substr $_, 0, 2 } }, $_ for @words[0 .. 29999];
for my $len (sort { $a <=> $b } keys %by_length) {
    my $n = 0;
    $n += @{ $by_length{$len}{$_} } for keys %{ $by_length{$len} };
    printf "length %d: %d prefixes, %d words\n", $len, scalar(keys %{ $by_length{$len} }), $n;
}

my $digest = 0;
$digest = ($digest * 31 + unpack('%32C*', $_)) % 4294967291 for sort @words;
print "digest: $digest\n";
