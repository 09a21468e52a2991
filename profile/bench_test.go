package profile

import (
	"encoding/json"
	"testing"
)

func BenchmarkParseDockerDefault(b *testing.B) {
	data := readCorpus(b, "docker-default.json")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalDockerDefault is the baseline: encoding/json into the
// same shape, without positions or checks.
func BenchmarkUnmarshalDockerDefault(b *testing.B) {
	data := readCorpus(b, "docker-default.json")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var v jsonProfile
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPolicyDockerDefault(b *testing.B) {
	p, err := Parse(readCorpus(b, "docker-default.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		arches []string
	}{{"x86_64", []string{"x86_64"}}, {"x86_64+i386+x32", x86}} {
		b.Run(bc.name, func(b *testing.B) {
			o := Options{Arches: bc.arches, Kernel: "6.1"}
			for b.Loop() {
				if _, _, err := p.Policy(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMarshalDockerDefault(b *testing.B) {
	p, err := Parse(readCorpus(b, "docker-default.json"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
