package main

import (
	"fmt"
	"math"
	"strings"
)

// chart draws mean instructions executed per syscall (every number of the
// x86_64 table and its gaps) for each compiler and profile, on a log scale,
// as a hand-written SVG.
func (r *Results) chart() []byte {
	type bar struct {
		name string
		val  float64
		ok   bool
	}
	type group struct {
		title string
		bars  []bar
	}
	var groups []group
	for _, cr := range r.Cases {
		g := group{title: cr.Case.Profile + " " + cr.Case.ABISet()}
		for _, row := range cr.Rows {
			g.bars = append(g.bars, bar{name: row.Compiler.Name, val: row.M.Mean, ok: row.Prog != nil})
		}
		groups = append(groups, g)
	}
	colors := map[string]string{
		"seccompile": "#1b7837", "seccompile (ENOSYS)": "#7fbf7b", "libseccomp opt1": "#762a83",
		"libseccomp opt2": "#af8dc3", "gVisor": "#2166ac", "elastic": "#d6604d",
	}
	const (
		barW, gap, left, top, plotH = 14, 26, 120, 40, 300
		maxV                        = 1000.0
	)
	nb := 0
	for _, g := range groups {
		nb = max(nb, len(g.bars))
	}
	groupW := nb*barW + gap
	width := left + len(groups)*groupW + 20
	height := top + plotH + 200
	y := func(v float64) float64 {
		if v < 1 {
			v = 1
		}
		return top + plotH - plotH*math.Log10(v)/math.Log10(maxV)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">Mean instructions executed per syscall (x86_64 numbers 0..max, zero args; log scale). %s</text>`+"\n", left, xmlEscape(r.Date))
	for _, t := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, width-10, y(t), y(t))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", left-6, y(t)+4, t)
	}
	for gi, g := range groups {
		x0 := left + gi*groupW + gap/2
		for bi, br := range g.bars {
			x := x0 + bi*barW
			if !br.ok {
				fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="9" fill="#999" transform="rotate(-90 %d %d)">n/a</text>`+"\n", x+10, top+plotH-4, x+10, top+plotH-4)
				continue
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s: %.1f</title></rect>`+"\n",
				x, y(br.val), barW-2, float64(top+plotH)-y(br.val), colors[br.name], xmlEscape(br.name), br.val)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="8" text-anchor="middle">%.0f</text>`+"\n", x+barW/2-1, y(br.val)-2, br.val)
		}
		cx := x0 + len(g.bars)*barW/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" transform="rotate(-35 %d %d)">%s</text>`+"\n", cx, top+plotH+14, cx, top+plotH+14, xmlEscape(g.title))
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>`+"\n", left, width-10, top+plotH, top+plotH)
	lx := left
	ly := height - 16
	for _, name := range []string{"seccompile", "seccompile (ENOSYS)", "libseccomp opt1", "libseccomp opt2", "gVisor", "elastic"} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, ly-9, colors[name], lx+14, ly, xmlEscape(name))
		lx += 14 + 7*len(name) + 16
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
